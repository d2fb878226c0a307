// One definition of a session's status, on both metadata engines: what GET /v1/session/{id} says is
// what GET /v1/sessions?status= filters by. `expired` is past expires_at, whatever the stored state
// (cleanup deletes such a session with its results, uploads get 410), so it wins over `completed`.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../encoder/sample-images.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../support/redis.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

const STATUSES = ['open', 'processing', 'completed', 'expired'] as const;
let jpeg: Buffer;
let schema: TestSchema;
const prefix = testPrefix();

beforeAll(async () => {
  jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();
  schema = await createTestSchema();
});
afterAll(async () => {
  await schema?.drop();
  await deleteKeys(`${prefix}*`);
});

describe.each([
  ['SQLite', () => ({})],
  ['PostgreSQL with Redis', () => ({ databaseUrl: schema.url, redisUrl: REDIS_URL, redisPrefix: prefix })],
])('session status on %s', (_engine, engineConfig) => {
  let clock = Date.now();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ...engineConfig(), workers: 1 }, { now: () => clock });
  }, 180_000);
  afterAll(() => server?.dispose());

  const call = async (path: string, init: RequestInit = {}) => {
    const res = await server.call(path, { ...init, user: 'alice' });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('the summary and the status filter agree before and after a completed session expires', async () => {
    const created = await call('/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ttl_seconds: 60 }),
    });
    const id = created.body.session_id as string;
    const uploaded = await server.call(`/v1/image/${id}?wait=30`, {
      method: 'POST',
      user: 'alice',
      body: imageForm(jpeg),
    });
    expect(uploaded.status).toBe(201);

    const agree = async (expected: (typeof STATUSES)[number]) => {
      expect((await call(`/v1/session/${id}`)).body.status).toBe(expected);
      for (const status of STATUSES) {
        const listed = (await call(`/v1/sessions?status=${status}&limit=100`)).body.items as Array<{
          session_id: string;
          status: string;
        }>;
        // Every listed session shows the status it was filtered by, and this one is listed only under its own.
        for (const item of listed) expect(item.status, `listed under ${status}`).toBe(status);
        expect(
          listed.some((s) => s.session_id === id),
          `under ${status}`,
        ).toBe(status === expected);
      }
    };
    await agree('completed');
    clock += 61_000;
    await agree('expired');
  }, 120_000);
});
