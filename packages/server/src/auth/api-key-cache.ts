/**
 * Recent api-key lookups by key hash, so a request with a known key costs no database read. Only found
 * (active) keys are kept, each for `ttlMs`: a key revoked elsewhere without a revocation message (another
 * process, no Redis) stops working within that bound; `forget` (a revocation message) drops it at once.
 * Unknown keys are never cached, so a key just created works at once and failures still reach the store.
 */
export interface ApiKeyCacheOptions {
  /** How long a found key is trusted without reading the store again, in ms. Default 5 000. */
  ttlMs?: number;
  /** Keys kept at most; the oldest entry goes first. Default 10 000. */
  maxEntries?: number;
}

interface Entry {
  keyId: string;
  userId: string;
  expiresAt: number;
}

export class ApiKeyCache {
  readonly #byHash = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(options: ApiKeyCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** The user of the key with this hash when it was found less than ttlMs ago, else null. */
  get(hash: string, now: number): string | null {
    const entry = this.#byHash.get(hash);
    if (!entry) return null;
    if (entry.expiresAt > now) return entry.userId;
    this.#byHash.delete(hash);
    return null;
  }

  set(hash: string, key: { id: string; userId: string }, now: number): void {
    if (this.#ttlMs <= 0) return;
    this.#byHash.delete(hash);
    while (this.#byHash.size >= this.#maxEntries) {
      const oldest = this.#byHash.keys().next().value;
      if (oldest === undefined) break;
      this.#byHash.delete(oldest);
    }
    this.#byHash.set(hash, { keyId: key.id, userId: key.userId, expiresAt: now + this.#ttlMs });
  }

  /** Drops the key with this id (revoked). */
  forget(keyId: string): void {
    for (const [hash, entry] of this.#byHash) if (entry.keyId === keyId) this.#byHash.delete(hash);
  }
}
