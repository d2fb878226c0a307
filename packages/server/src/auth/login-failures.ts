/**
 * Failed authentications per client address, in fixed windows. The rate limiter counts per user and
 * so runs after authentication: without this, a caller guessing keys is never limited at all.
 * Counted in this process (a guesser spread over N API processes gets N times the budget, still far
 * from useful against 256-bit keys); the map is bounded so a flood of addresses cannot grow it.
 */
export class LoginFailures {
  readonly #byAddress = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxTracked = 100_000,
  ) {}

  /** Seconds until `address` may try again, or null when it may try now. */
  retryAfter(address: string, now: number): number | null {
    const entry = this.#byAddress.get(address);
    if (!entry || entry.resetAt <= now) return null;
    return entry.count >= this.max ? Math.max(1, Math.ceil((entry.resetAt - now) / 1000)) : null;
  }

  record(address: string, now: number): void {
    const entry = this.#byAddress.get(address);
    if (entry && entry.resetAt > now) {
      entry.count += 1;
      return;
    }
    this.#byAddress.delete(address);
    // Oldest first (insertion order): the address that has been quiet longest is forgotten.
    while (this.#byAddress.size >= this.maxTracked) {
      const oldest = this.#byAddress.keys().next().value;
      if (oldest === undefined) break;
      this.#byAddress.delete(oldest);
    }
    this.#byAddress.set(address, { count: 1, resetAt: now + this.windowMs });
  }
}
