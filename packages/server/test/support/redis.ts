import { Redis } from 'ioredis';

/** The CI machines' Redis 7 (`.ci/run` starts it when it is down). Override with FACE_ENCODE_TEST_REDIS_URL. */
export const REDIS_URL = process.env.FACE_ENCODE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Connection options for BullMQ, from REDIS_URL. */
export function redisConnection() {
  const u = new URL(REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
}

/** A unique key prefix per test: tests share one Redis but never each other's keys. */
export function testPrefix(): string {
  return `fe-test-${Math.random().toString(36).slice(2, 10)}`;
}

/** Deletes the keys matching `pattern` (a test's prefix), with SCAN, never KEYS in a loop. */
export async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
