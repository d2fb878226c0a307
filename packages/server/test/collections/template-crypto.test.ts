import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  KeyWrap,
  openEncoding,
  parseMasterKey,
  sealEncoding,
} from '../../src/collections/template-crypto.js';

const encoding = Array.from({ length: 128 }, (_, i) => Math.sin(i) / 3);

describe('template crypto', () => {
  it('parses a master key as base64 or hex and refuses anything else with how to make one', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseMasterKey(key.toString('hex')).equals(key)).toBe(true);
    for (const bad of ['', 'short', randomBytes(16).toString('base64'), `${key.toString('base64')}x`])
      expect(() => parseMasterKey(bad)).toThrow(/openssl rand -base64 32/);
  });

  it('seals an encoding so only its data key, collection and face open it', () => {
    const wrap = new KeyWrap({ masterKey: randomBytes(32) });
    const { key, wrapped } = wrap.newDataKey('c1');
    expect(wrap.unwrap('c1', wrapped).key.equals(key)).toBe(true);
    const sealed = sealEncoding(key, 'c1', 'f1', encoding);
    expect(sealed.includes(Buffer.from(Float32Array.from(encoding).buffer))).toBe(false);
    const out = new Float32Array(256);
    openEncoding(key, 'c1', 'f1', sealed, out, 128);
    expect(Array.from(out.subarray(128))).toEqual(Array.from(Float32Array.from(encoding)));
    expect(() => openEncoding(key, 'c1', 'f2', sealed, out, 0)).toThrow();
    expect(() => openEncoding(randomBytes(32), 'c1', 'f1', sealed, out, 0)).toThrow();
    expect(() => wrap.unwrap('c2', wrapped)).toThrow();
    expect(() => new KeyWrap({ masterKey: randomBytes(32) }).unwrap('c1', wrapped)).toThrow(
      /unknown master key/,
    );
  });

  it('opens keys wrapped by a previous master key and marks them for rewrapping (rotation)', () => {
    const old = randomBytes(32);
    const { key, wrapped } = new KeyWrap({ masterKey: old }).newDataKey('c1');
    const rotated = new KeyWrap({ masterKey: randomBytes(32), previousMasterKeys: [old] });
    const opened = rotated.unwrap('c1', wrapped);
    expect(opened).toMatchObject({ stale: true });
    expect(opened.key.equals(key)).toBe(true);
    expect(rotated.unwrap('c1', rotated.wrap('c1', key)).stale).toBe(false);
  });
});
