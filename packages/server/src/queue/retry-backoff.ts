export interface BackoffOptions {
  /** Delay before the first retry, in ms. Default 1000. */
  baseMs?: number;
  /** Upper bound of any delay, in ms. Default 60 000. */
  maxMs?: number;
  /** Source of randomness in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
}

/**
 * Exponential backoff with "full jitter": a uniform delay in [0, min(max, base * 2^(attempt-1))), so
 * many failing jobs spread out instead of retrying in lockstep. `attempt` is 1 for the first retry.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
