// The scale-out shape on real engines: 2 API processes and 2 worker processes (separate OS
// processes) on PostgreSQL + Redis (BullMQ) + S3 (radosgw), with requests spread over both APIs.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceApiEncoder } from '../../src/encoder/faceapi-encoder.js';
import { cropFace, sample } from '../encoder/sample-images.js';
import { spawnServer, runServerCommand, type ClusterProcess } from '../support/cluster.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { radosgwMissing, startRadosgw, type Radosgw } from '../../src/dev/radosgw.js';
import { REDIS_URL, deleteKeys, testPrefix } from '../support/redis.js';
import { imageForm } from '../support/test-server.js';

const RATE_LIMIT = 200;
const missing = radosgwMissing();
if (missing && process.env.CI) throw new Error(`The cluster test needs radosgw: ${missing}`);

describe.skipIf(missing !== null)('cluster: 2 APIs + 2 workers on PostgreSQL, Redis and S3', () => {
  let rgw: Radosgw;
  let s3: S3Client;
  let db: TestSchema;
  let env: Record<string, string>;
  const bucket = `cluster-${randomUUID().slice(0, 8)}`;
  const prefix = testPrefix();
  const apis: ClusterProcess[] = [];
  const workers: ClusterProcess[] = [];
  let selfie: Buffer;
  let receiver: Server;
  let hookUrl: string;
  const deliveries = new Map<string, number>();
  let encodingLogs = 0;

  const engineArgs = () => [
    '--database-url',
    db.url,
    '--redis-url',
    REDIS_URL,
    '--blob-url',
    `s3://${bucket}/blobs`,
    '--s3-endpoint',
    rgw.endpoint,
    '--s3-force-path-style',
  ];
  const watchLogs = (entry: Record<string, unknown>) => {
    // Encodings must never reach the logs, from any process.
    if (JSON.stringify(entry).includes('"encoding"')) encodingLogs++;
  };
  const startApi = () =>
    spawnServer(
      ['start', '--auth', 'demo', '--port', '0', '--workers', '0', ...engineArgs()],
      env,
      'listening',
      watchLogs,
    );
  const startWorker = () =>
    spawnServer(
      ['worker', '--workers', '1', '--metrics-port', '0', ...engineArgs()],
      env,
      'workers running',
      watchLogs,
    );

  let turn = 0;
  /** Calls the APIs in turn, so requests spread over both. */
  const call = (path: string, init: RequestInit & { user: string; api?: number } = { user: 'u' }) => {
    const api = apis[init.api ?? turn++ % apis.length] as ClusterProcess;
    const headers = new Headers(init.headers);
    headers.set('user_id', init.user);
    return fetch(`${api.url}${path}`, { ...init, headers });
  };
  const json = async <T>(res: Response | Promise<Response>): Promise<T> => (await res).json() as Promise<T>;
  const createSession = async (user: string, body: Record<string, unknown> = {}) =>
    (
      await json<{ session_id: string }>(
        call('/v1/session', {
          user,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      )
    ).session_id;
  const upload = (user: string, sessionId: string, query = '', api?: number) =>
    call(`/v1/image/${sessionId}${query}`, { user, api, method: 'POST', body: imageForm(selfie) });

  interface Summary {
    status: string;
    images: Array<{ image_id: string; status: string; faces: unknown[] }>;
    summary: { model: { id: string } };
    webhook: { status: string } | null;
  }
  /** Polls until no image of the session is queued or processing (a session with none is settled too). */
  async function waitCompleted(user: string, sessionId: string, timeoutMs = 120_000): Promise<Summary> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const summary = await json<Summary>(call(`/v1/session/${sessionId}`, { user }));
      const settled = summary.images.every((i) => i.status === 'done' || i.status === 'failed');
      if (summary.status === 'completed' || (summary.images.length === 0 && settled)) return summary;
      if (Date.now() > deadline) return summary;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const sql = async <T>(text: string, values: unknown[] = []) =>
    (await db.pool.query(text, values)).rows as T[];
  const objectKeys = async () => {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (out.Contents ?? []).map((o) => (o.Key ?? '').replace(/^blobs\//, ''));
  };

  beforeAll(async () => {
    const encoder = new FaceApiEncoder();
    const [started, faces] = await Promise.all([startRadosgw(), encoder.encode(sample(1))]);
    rgw = started;
    selfie = await cropFace(sample(1), faces.faces[0]!.box, 320);
    await encoder.close();
    s3 = rgw.client();
    await rgw.createBucket(bucket);
    db = await createTestSchema();
    receiver = createServer((req, res) => {
      const id = req.headers['webhook-id'] as string;
      deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    env = {
      AWS_ACCESS_KEY_ID: rgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
      AWS_REGION: rgw.region,
      FACE_ENCODE_REDIS_PREFIX: prefix,
      FACE_ENCODE_RATE_LIMIT: String(RATE_LIMIT),
      FACE_ENCODE_WEBHOOK_ALLOW_PRIVATE: 'true',
      // A short lease, so a killed worker's job comes back within seconds.
      FACE_ENCODE_LEASE_MS: '3000',
      FACE_ENCODE_LOG_LEVEL: 'info',
    };
    // Both APIs migrate at start, concurrently: migrations take a lock.
    apis.push(...(await Promise.all([startApi(), startApi()])));
    workers.push(...(await Promise.all([startWorker(), startWorker()])));
  }, 240_000);

  afterAll(async () => {
    await Promise.all([...apis, ...workers].map((p) => p.kill('SIGKILL')));
    await new Promise((r) => receiver?.close(r));
    await db?.drop();
    await rgw?.stop();
    await deleteKeys(`${prefix}:*`);
  }, 60_000);

  it('accepts exactly 5 of 20 concurrent uploads to one session through both APIs', async () => {
    const sessionId = await createSession('racer');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => upload('racer', sessionId, '', i % 2)),
    );
    const codes = responses.map((r) => r.status);
    expect(codes.filter((c) => c === 201)).toHaveLength(5);
    expect(codes.filter((c) => c === 400)).toHaveLength(15);
    const refused = await json<{ code: string }>(responses.find((r) => r.status === 400) as Response);
    expect(refused.code).toBe('too_many_images');
    const summary = await waitCompleted('racer', sessionId);
    expect(summary.images.map((i) => i.status)).toEqual(Array(5).fill('done'));
    // The model is the one stored with the encodings by the worker processes.
    expect(summary.summary.model.id).toMatch(/^face-api\//);
  }, 180_000);

  it('answers ?wait= on one API as soon as a worker process finishes the image', async () => {
    const sessionId = await createSession('waiter');
    const started = Date.now();
    const res = await upload('waiter', sessionId, '?wait=30', 0);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(201);
    const image = await json<{ status: string; faces: unknown[] }>(res);
    expect(image.status).toBe('done');
    expect(image.faces).toHaveLength(1);
    // Well before the wait ran out: the finish event crossed processes.
    expect(elapsed).toBeLessThan(20_000);
  }, 120_000);

  it('delivers each webhook exactly once, whichever processes could send it', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 4 }, () => createSession('hooks', { callback_url: hookUrl })),
    );
    await Promise.all(sessions.map((s, i) => upload('hooks', s, '', i % 2)));
    for (const s of sessions) expect((await waitCompleted('hooks', s)).status).toBe('completed');
    const deadline = Date.now() + 30_000;
    while (deliveries.size < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    // Give every process time to (wrongly) send a second copy.
    await new Promise((r) => setTimeout(r, 3000));
    expect(deliveries.size).toBe(4);
    expect([...deliveries.values()]).toEqual([1, 1, 1, 1]);
    const rows = await sql<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM webhooks WHERE session_id = ANY($1)`,
      [sessions],
    );
    expect(rows).toEqual(Array(4).fill({ status: 'delivered', attempts: 1 }));
  }, 180_000);

  it('holds the rate limit across both APIs', async () => {
    const responses = await Promise.all(
      Array.from({ length: RATE_LIMIT + 50 }, (_, i) =>
        call('/v1/sessions?limit=1', { user: 'limited', api: i % 2 }),
      ),
    );
    const codes = responses.map((r) => r.status);
    expect(codes.filter((c) => c === 200)).toHaveLength(RATE_LIMIT);
    expect(codes.filter((c) => c === 429)).toHaveLength(50);
  }, 60_000);

  it('serves the autoscaling signal on the workers’ /metrics', async () => {
    const text = await (await fetch(`${workers[0]!.url}/metrics`)).text();
    expect(text).toMatch(/face_encode_queue_depth\{state="waiting"\} \d+/);
    expect(text).toMatch(/face_encode_queue_oldest_waiting_seconds \d/);
  });

  it('erases a session deleted during encoding, and nothing reappears', async () => {
    const sessionId = await createSession('eraser');
    const images = await Promise.all([0, 1, 2].map((i) => upload('eraser', sessionId, '', i % 2)));
    expect(images.map((r) => r.status)).toEqual([201, 201, 201]);
    const blobKeys = (
      await sql<{ blob_key: string }>(`SELECT blob_key FROM images WHERE session_id = $1`, [sessionId])
    ).map((r) => r.blob_key);
    expect((await call(`/v1/session/${sessionId}`, { user: 'eraser', method: 'DELETE' })).status).toBe(204);
    // Longer than any encode in flight, and than a redelivery after a lease.
    await new Promise((r) => setTimeout(r, 8000));
    expect((await call(`/v1/session/${sessionId}`, { user: 'eraser' })).status).toBe(404);
    expect(await sql(`SELECT id FROM images WHERE session_id = $1`, [sessionId])).toEqual([]);
    expect(await sql(`SELECT image_id FROM outbox WHERE session_id = $1`, [sessionId])).toEqual([]);
    expect(await sql(`SELECT id FROM sessions WHERE id = $1`, [sessionId])).toEqual([]);
    const keys = new Set(await objectKeys());
    expect(blobKeys.filter((k) => k && keys.has(k))).toEqual([]);
  }, 60_000);

  it('does every accepted image exactly once after kill -9 of a worker mid-encode', async () => {
    const sessions = await Promise.all([createSession('crash'), createSession('crash')]);
    for (const s of sessions) await Promise.all([0, 1, 2, 3, 4].map((i) => upload('crash', s, '', i % 2)));
    // Kill one worker while it is encoding.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const processing = await sql(`SELECT id FROM images WHERE status = 'processing'`);
      if (processing.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await workers[0]!.kill('SIGKILL');
    workers[0] = await startWorker();
    for (const s of sessions) {
      const summary = await waitCompleted('crash', s, 150_000);
      expect(summary.images.map((i) => i.status)).toEqual(Array(5).fill('done'));
      // Exactly once: one face per image, never a duplicated write.
      expect(summary.images.map((i) => i.faces.length)).toEqual(Array(5).fill(1));
    }
  }, 240_000);

  it('leaves no image without its blob and no blob without its image after kill -9 of an API mid-upload', async () => {
    const sessionId = await createSession('cut');
    const victim = apis[1] as ClusterProcess;
    // Uploads in flight on the victim when it dies; some may be recorded, some not.
    const inFlight = Array.from({ length: 4 }, () =>
      fetch(`${victim.url}/v1/image/${sessionId}`, {
        method: 'POST',
        headers: { user_id: 'cut' },
        body: imageForm(selfie),
      }).catch(() => null),
    );
    // And one certainly cut mid-body: half of it is sent, then the API dies.
    const encoded = new Response(imageForm(selfie));
    const type = encoded.headers.get('content-type') as string;
    const bytes = new Uint8Array(await encoded.arrayBuffer());
    let sentHalf: () => void = () => {};
    const halfSent = new Promise<void>((r) => (sentHalf = r));
    const stalled = fetch(`${victim.url}/v1/image/${sessionId}`, {
      method: 'POST',
      headers: { user_id: 'cut', 'content-type': type },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(bytes.subarray(0, bytes.length >> 1));
          sentHalf();
        },
      }),
      duplex: 'half',
    } as RequestInit).catch(() => null);
    await halfSent;
    await new Promise((r) => setTimeout(r, 15));
    await victim.kill('SIGKILL');
    await Promise.all([...inFlight, stalled]);
    apis[1] = await startApi();
    // Whatever was recorded gets encoded (the outbox sweep publishes what the dead API did not).
    await waitCompleted('cut', sessionId, 120_000);
    await runServerCommand(['cleanup', '--orphan-grace', '0', ...engineArgs()], env);
    const referenced = new Set(
      (await sql<{ blob_key: string }>(`SELECT blob_key FROM images WHERE blob_key IS NOT NULL`)).map(
        (r) => r.blob_key,
      ),
    );
    const stored = new Set(await objectKeys());
    expect([...referenced].filter((k) => !stored.has(k))).toEqual([]);
    expect([...stored].filter((k) => !referenced.has(k))).toEqual([]);
    const states = await sql<{ status: string }>(`SELECT status FROM images WHERE session_id = $1`, [
      sessionId,
    ]);
    expect(states.every((s) => s.status === 'done')).toBe(true);
    expect(await sql(`SELECT image_id FROM outbox`)).toEqual([]);
  }, 180_000);

  it('never logged an encoding', () => {
    expect(encodingLogs).toBe(0);
  });
});
