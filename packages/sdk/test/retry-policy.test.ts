import { describe, expect, it } from 'vitest';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from '../src/retry-policy.js';

describe('retry policy', () => {
  it('retries 408, 409, 429 and 5xx only', () => {
    expect([408, 409, 429, 500, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404, 410, 413, 422].some(isRetryableStatus)).toBe(false);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:05 GMT', now)).toBe(5);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('backs off exponentially with jitter, capped, and prefers Retry-After', () => {
    expect(retryDelayMs(0, undefined, () => 0)).toBe(375);
    expect(retryDelayMs(0, undefined, () => 1)).toBe(625);
    expect(retryDelayMs(1, undefined, () => 0.5)).toBe(1000);
    expect(retryDelayMs(10, undefined, () => 0.5)).toBe(8000);
    expect(retryDelayMs(0, 3)).toBe(3000);
    expect(retryDelayMs(0, 3600)).toBe(60_000);
  });
});
