import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/queue/retry-backoff.js';

describe('backoffDelay', () => {
  it('draws uniformly below an exponentially growing ceiling', () => {
    const top = () => 0.999999;
    expect(backoffDelay(1, { random: top })).toBe(999);
    expect(backoffDelay(2, { random: top })).toBe(1999);
    expect(backoffDelay(3, { random: top })).toBe(3999);
    expect(backoffDelay(3, { random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { random: () => 0.5 })).toBe(2000);
  });

  it('caps the ceiling at maxMs', () => {
    expect(backoffDelay(50, { random: () => 0.999999 })).toBe(59_999);
    expect(backoffDelay(4, { baseMs: 100, maxMs: 500, random: () => 0.5 })).toBe(250);
  });

  it('stays within [0, ceiling) with real randomness', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const delay = backoffDelay(attempt, { baseMs: 10, maxMs: 1000 });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(1000, 10 * 2 ** (attempt - 1)));
      expect(Number.isInteger(delay)).toBe(true);
    }
  });
});
