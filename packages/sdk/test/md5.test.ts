import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5 } from '../src/md5.js';

describe('md5', () => {
  it('matches node:crypto on the RFC 1321 vectors and on every padding boundary', () => {
    const inputs = ['', 'a', 'abc', 'message digest', '1234567890'.repeat(8)].map((s) => Buffer.from(s));
    for (const n of [55, 56, 63, 64, 65, 119, 120, 1000, 100_000]) inputs.push(randomBytes(n));
    for (const input of inputs) {
      expect(Buffer.from(md5(input)).toString('hex'), `${input.length} bytes`).toBe(
        createHash('md5').update(input).digest('hex'),
      );
    }
    expect(Buffer.from(md5(Buffer.from(''))).toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });
});
