// The api-key lookup cache keeps every security property of an uncached lookup: a revoke takes effect at
// once in the revoking process and, over Redis, in every other; a revoke no message reaches is bounded by
// the TTL; cached keys are still rate limited, and failed logins are still counted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runServerCommand } from '../support/cluster.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Longer than any test runs: a key refused within a test was dropped by a revocation, not by expiry.
const LONG_TTL = { auth: 'api-key' as const, apiKeyCacheTtlMs: 600_000 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(...args: Parameters<typeof startTestServer>): Promise<TestServer> {
  const s = await startTestServer(...args);
  cleanups.push(() => s.dispose());
  return s;
}

async function keyOf(s: TestServer, user: string) {
  const key = await s.createApiKey(user);
  const record = (await s.store.listApiKeys()).find((k) => k.userId === user);
  return { key, id: record!.id };
}

const sessions = (s: TestServer, key: string) => s.call('/v1/sessions', { key }).then((r) => r.status);

/** The status once it is `want`, asking up to 100 times 20 ms apart (a pub/sub message is asynchronous). */
async function eventually(ask: () => Promise<number>, want: number): Promise<number> {
  let status = await ask();
  for (let i = 0; i < 100 && status !== want; i++) {
    await new Promise((r) => setTimeout(r, 20));
    status = await ask();
  }
  return status;
}

describe('api-key lookup cache', () => {
  it('drops a key revoked in this process at once', async () => {
    const s = await server(LONG_TTL);
    const { key, id } = await keyOf(s, 'alice');
    expect(await sessions(s, key)).toBe(200);
    expect(await s.revokeApiKey(id)).toBe(true);
    expect(await sessions(s, key)).toBe(401);
  });

  it('bounds a revoke no message reaches (another process, no Redis) by the TTL', async () => {
    let clock = Date.now();
    const s = await server({ auth: 'api-key', apiKeyCacheTtlMs: 5_000 }, { now: () => clock });
    const { key, id } = await keyOf(s, 'bob');
    expect(await sessions(s, key)).toBe(200);
    // Straight in the store, as `keys revoke` in another process without Redis does.
    await s.store.revokeApiKey(id);
    clock += 4_000;
    expect(await sessions(s, key)).toBe(200);
    clock += 1_001;
    expect(await sessions(s, key)).toBe(401);
  });

  it('drops a revoked key in every API process sharing Redis, also when `keys revoke` runs elsewhere', async () => {
    const prefix = testPrefix();
    cleanups.push(() => deleteKeys(`${prefix}:*`));
    const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-cache-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const shared = { ...LONG_TTL, redisUrl: REDIS_URL, redisPrefix: prefix };
    const a = await server(shared, { dataDir });
    const b = await server(shared, { dataDir });
    const first = await keyOf(a, 'carol');
    const second = await keyOf(a, 'dave');
    for (const key of [first.key, second.key]) {
      expect(await sessions(a, key)).toBe(200);
      expect(await sessions(b, key)).toBe(200);
    }

    await a.revokeApiKey(first.id);
    expect(await sessions(a, first.key)).toBe(401);
    expect(await eventually(() => sessions(b, first.key), 401)).toBe(401);

    await runServerCommand(['keys', 'revoke', second.id, '--data-dir', dataDir, '--redis-url', REDIS_URL], {
      FACE_ENCODE_REDIS_PREFIX: prefix,
    });
    expect(await eventually(() => sessions(a, second.key), 401)).toBe(401);
    expect(await eventually(() => sessions(b, second.key), 401)).toBe(401);
  });

  it('still rate limits every request of a cached key', async () => {
    const s = await server({ ...LONG_TTL, rateLimitMax: 3 });
    const { key } = await keyOf(s, 'erin');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await sessions(s, key));
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('still counts failed logins, and throttles the address even for a cached key', async () => {
    const s = await server({ ...LONG_TTL, authFailureMax: 3 });
    const { key } = await keyOf(s, 'frank');
    expect(await sessions(s, key)).toBe(200);
    const wrong = [];
    for (let i = 0; i < 4; i++) wrong.push(await sessions(s, `fe_wrong_${i}`));
    expect(wrong).toEqual([401, 401, 401, 429]);
    expect(await sessions(s, key)).toBe(429);
  });
});
