// The rate limiter counts every request of a user once however many API processes share Redis, answers
// the documented headers, and leaves public operations alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateCounter } from '../../src/http/rate-limit.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('rate limit', () => {
  const prefix = testPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-rate-'));
  const servers: TestServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.dispose();
    await deleteKeys(`${prefix}:*`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts a user once across API processes sharing Redis, and never limits public operations', async () => {
    const shared = { rateLimitMax: 4, redisUrl: REDIS_URL, redisPrefix: prefix };
    servers.push(await startTestServer(shared, { dataDir }), await startTestServer(shared, { dataDir }));
    const [a, b] = servers as [TestServer, TestServer];
    const statuses: number[] = [];
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 6; i++) {
      const res = await (i % 2 ? b : a).call('/v1/sessions', { user: 'gina' });
      statuses.push(res.status);
      remaining.push(res.headers.get('ratelimit'));
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(remaining[0]).toMatch(/^limit=4, remaining=3, reset=\d+$/);
    expect(remaining[3]).toMatch(/^limit=4, remaining=0, reset=\d+$/);
    // Another user has a budget of its own; /healthz is never counted.
    expect((await b.call('/v1/sessions', { user: 'hank' })).status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await a.call('/healthz')).status).toBe(200);
  });

  it('counts in fixed windows in this process, forgetting the quietest key past its bound', () => {
    const counter = new MemoryRateCounter({ windowMs: 1_000, maxTracked: 2 });
    expect(counter.hit('a', 0).count).toBe(1);
    expect(counter.hit('a', 999)).toEqual({ count: 2, resetAt: 1_000 });
    expect(counter.hit('a', 1_000)).toEqual({ count: 1, resetAt: 2_000 });
    counter.hit('b', 1_000);
    counter.hit('c', 1_000);
    // `a` was the oldest: it starts over.
    expect(counter.hit('a', 1_500).count).toBe(1);
  });
});
