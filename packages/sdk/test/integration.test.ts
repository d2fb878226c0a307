// Runs the SDK against the real reference server (demo auth, one worker, real inference).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFaceEncodeClient,
  NotFoundError,
  TooManyImagesError,
  type NodeFaceEncodeClient,
} from '../src/node.js';
import { sampleBytes, samplePath, startTestServer } from './server-fixture.js';

let close: () => Promise<void>;
let client: NodeFaceEncodeClient;
let baseUrl: string;

beforeAll(async () => {
  const started = await startTestServer();
  close = started.close;
  baseUrl = started.server.url;
  client = createFaceEncodeClient({ baseUrl, userId: `sdk-${randomUUID()}` });
});
afterAll(async () => {
  await close?.();
});

describe('SDK against the reference server', () => {
  it('encodes two photos into a completed summary', async () => {
    const progress: string[] = [];
    const result = await client.encode([samplePath(1), { input: sampleBytes(2), imageName: 'two.jpg' }], {
      onProgress: (s) => progress.push(s.status),
    });
    expect(result.status).toBe('completed');
    expect(result.images).toHaveLength(2);
    expect(result.images.every((i) => i.status === 'done')).toBe(true);
    expect(result.images.map((i) => i.image_name).sort()).toEqual(['sample1.jpg', 'two.jpg']);
    expect(result.summary.faces_total).toBeGreaterThanOrEqual(2);
    for (const face of result.images.flatMap((i) => i.faces)) expect(face.encoding).toHaveLength(128);
    expect(progress.at(-1)).toBe('completed');
  });

  it('replays an upload retried with the same Idempotency-Key without taking a second slot', async () => {
    const session = await client.createSession();
    const bytes = sampleBytes(3);
    const first = await client.uploadImage(session.session_id, bytes, { idempotencyKey: 'retry-1' });
    const again = await client.uploadImage(session.session_id, bytes, { idempotencyKey: 'retry-1' });
    expect(again.image_id).toBe(first.image_id);
    const summary = await client.waitForSession(session.session_id);
    expect(summary.image_count).toBe(1);
    await client.deleteSession(session.session_id);
  });

  it('refuses a sixth image with TooManyImagesError', async () => {
    const session = await client.createSession({ vendor_data: 'six' });
    const bytes = sampleBytes(4);
    for (let i = 0; i < 5; i++)
      await client.uploadImage(session.session_id, bytes, { imageName: `p${i}.jpg` });
    const error = await client.uploadImage(session.session_id, bytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyImagesError);
    expect(error).toMatchObject({ status: 400, code: 'too_many_images' });
    expect((error as TooManyImagesError).requestId).toBeTruthy();
    await client.deleteSession(session.session_id);
  });

  it('maps a missing session to NotFoundError and deletes sessions', async () => {
    const session = await client.createSession();
    await client.deleteSession(session.session_id);
    const error = await client.getSession(session.session_id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).problem?.code).toBe('session_not_found');
  });

  it('iterates every session across pages', async () => {
    const own = createFaceEncodeClient({ baseUrl, userId: `pages-${randomUUID()}` });
    const created = [];
    for (let i = 0; i < 3; i++) created.push((await own.createSession()).session_id);
    const seen: string[] = [];
    for await (const s of own.iterateSessions({ limit: 2 })) seen.push(s.session_id);
    expect(seen.sort()).toEqual(created.sort());
  });

  it('encodes a selfie synchronously', async () => {
    const encodings = await client.encodeSelfie(samplePath(2));
    expect(encodings.length).toBeGreaterThanOrEqual(1);
    expect(encodings[0]).toHaveLength(128);
  });

  it('encodes photos uploaded straight to storage (reserve, PUT, complete), with the same result', async () => {
    const result = await client.encode([samplePath(1), { input: sampleBytes(2), imageName: 'two.jpg' }], {
      direct: true,
    });
    expect(result.status).toBe('completed');
    expect(result.images.map((i) => [i.image_name, i.status]).sort()).toEqual([
      ['sample1.jpg', 'done'],
      ['two.jpg', 'done'],
    ]);
    for (const face of result.images.flatMap((i) => i.faces)) expect(face.encoding).toHaveLength(128);
  });

  it('refuses a direct upload of a non-image before reserving, with a typed error', async () => {
    const session = await client.createSession();
    const error = await client
      .uploadImage(session.session_id, new TextEncoder().encode('not an image'), { direct: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ValidationError', code: 'unsupported_media_type' });
    expect((await client.getSession(session.session_id)).image_count).toBe(0);
  });
});
