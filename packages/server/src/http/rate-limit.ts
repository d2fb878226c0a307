import type { onRequestHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError } from '../errors/error-catalog.js';

/** One request counted in a fixed window: the count so far in it, and when it ends (epoch ms). */
export interface RateHit {
  count: number;
  resetAt: number;
}

/** Counts requests per key in fixed windows: in this process, or in Redis for every API process. */
export interface RateCounter {
  hit(key: string, now: number): RateHit | Promise<RateHit>;
}

/** Counts in this process; bounded, so a flood of addresses cannot grow it (the quietest key goes first). */
export class MemoryRateCounter implements RateCounter {
  readonly #byKey = new Map<string, RateHit>();
  readonly #windowMs: number;
  readonly #maxTracked: number;

  constructor(options: { windowMs: number; /** Keys kept at most. Default 100 000. */ maxTracked?: number }) {
    this.#windowMs = options.windowMs;
    this.#maxTracked = options.maxTracked ?? 100_000;
  }

  hit(key: string, now: number): RateHit {
    const entry = this.#byKey.get(key);
    if (entry && entry.resetAt > now) {
      entry.count += 1;
      return entry;
    }
    this.#byKey.delete(key);
    while (this.#byKey.size >= this.#maxTracked) {
      const oldest = this.#byKey.keys().next().value;
      if (oldest === undefined) break;
      this.#byKey.delete(oldest);
    }
    const fresh = { count: 1, resetAt: now + this.#windowMs };
    this.#byKey.set(key, fresh);
    return fresh;
  }
}

// INCR, and the window's expiry set by the request that opened it; one round trip.
const HIT = `local c = redis.call('INCR', KEYS[1])
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) t = tonumber(ARGV[1]) end
return {c, t}`;

type HitCommand = Redis & { faceEncodeRateHit(key: string, windowMs: number): Promise<[number, number]> };

/** Counts in Redis (under the client's key prefix, `rate-limit:<key>`), so N API processes allow the limit once. */
export class RedisRateCounter implements RateCounter {
  readonly #redis: HitCommand;
  readonly #windowMs: number;

  constructor(options: { redis: Redis; windowMs: number }) {
    this.#windowMs = options.windowMs;
    options.redis.defineCommand('faceEncodeRateHit', { numberOfKeys: 1, lua: HIT });
    this.#redis = options.redis as HitCommand;
  }

  async hit(key: string, now: number): Promise<RateHit> {
    const [count, ttl] = await this.#redis.faceEncodeRateHit(`rate-limit:${key}`, this.#windowMs);
    return { count, resetAt: now + ttl };
  }
}

export interface RateLimitOptions {
  /** Requests per key per window. */
  max: number;
  windowMs: number;
  counter: RateCounter;
}

/**
 * Counts every request per user (per client address without a user) before the handler runs, answers
 * the IETF `RateLimit` and `RateLimit-Policy` fields the API documents, and 429 `rate_limited` with
 * Retry-After past the limit. A callback hook, no promise, when the counter is in this process; the
 * caller attaches it to the operations it limits (after authentication, so the count is per user).
 */
export function rateLimitHook(o: RateLimitOptions): onRequestHookHandler {
  const policy = `${o.max};w=${Math.ceil(o.windowMs / 1000)}`;
  return (request, reply, done) => {
    const now = Date.now();
    const answer = (hit: RateHit) => {
      const reset = Math.max(0, Math.ceil((hit.resetAt - now) / 1000));
      reply.header(
        'ratelimit',
        `limit=${o.max}, remaining=${Math.max(0, o.max - hit.count)}, reset=${reset}`,
      );
      reply.header('ratelimit-policy', policy);
      if (hit.count <= o.max) return done();
      const seconds = Math.max(1, reset);
      done(
        new ApiError('rate_limited', `Rate limit exceeded. Retry in ${seconds} seconds.`, {
          headers: { 'retry-after': String(seconds) },
        }),
      );
    };
    const hit = o.counter.hit(request.userId ? `user:${request.userId}` : `ip:${request.ip}`, now);
    if (hit instanceof Promise) hit.then(answer, done);
    else answer(hit);
  };
}
