import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  fingerprintHash,
  idempotencyRequestHash,
  reservationFingerprint,
} from '../../src/http/upload-idempotency.js';
import { sample } from '../encoder/sample-images.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let clock = Date.now();

beforeAll(async () => {
  server = await startTestServer({}, { now: () => clock });
});
afterAll(() => server.dispose());

describe('an Idempotency-Key after a crash', () => {
  it('is not stuck in flight: past the lease a retry gets the image the crashed request stored', async () => {
    const created = await server.call('/v1/session', {
      method: 'POST',
      user: 'crash',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const sessionId = ((await created.json()) as { session_id: string }).session_id;
    const jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();

    // The crashed request: its image was stored, its claim never completed (kill -9 in between).
    const first = await server.call(`/v1/image/${sessionId}`, {
      method: 'POST',
      user: 'crash',
      body: imageForm(jpeg, 'a.jpg', { image_name: 'a' }),
    });
    expect(first.status).toBe(201);
    const stored = (await first.json()) as { id: string; sha256: string };
    await server.store.beginIdempotency({
      userId: 'crash',
      key: 'k1',
      sessionId,
      requestHash: idempotencyRequestHash({ sessionId, sha256: stored.sha256, imageName: 'a', wait: 0 }),
      ttlMs: 24 * 3600 * 1000,
      leaseMs: 60_000,
      now: clock,
    });
    const retry = () =>
      server.call(`/v1/image/${sessionId}`, {
        method: 'POST',
        user: 'crash',
        headers: { 'idempotency-key': 'k1' },
        body: imageForm(jpeg, 'a.jpg', { image_name: 'a' }),
      });

    expect((await retry()).status).toBe(409);
    clock += 10 * 60_000;
    const res = await retry();
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(((await res.json()) as { id: string }).id).toBe(stored.id);
    // Later retries replay it too, and the session still holds one image.
    expect(((await (await retry()).json()) as { id: string }).id).toBe(stored.id);
    const session = await server.call(`/v1/session/${sessionId}`, { user: 'crash' });
    expect(((await session.json()) as { image_count: number }).image_count).toBe(1);
  });

  it('a reservation: past the lease a retry gets the reservation the crashed request made', async () => {
    const created = await server.call('/v1/session', { method: 'POST', user: 'crash' });
    const sessionId = ((await created.json()) as { session_id: string }).session_id;
    const jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();
    const digest = createHash('sha256').update(jpeg);
    const body = {
      image_name: 'a',
      content_type: 'image/jpeg',
      size_bytes: jpeg.byteLength,
      sha256: digest.copy().digest('base64'),
    };
    const reserve = (headers: Record<string, string> = {}) =>
      server.call(`/v1/image/${sessionId}/upload-url`, {
        method: 'POST',
        user: 'crash',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    // The crashed request: it reserved the slot, its claim never completed (kill -9 in between).
    const first = (await (await reserve()).json()) as { image_id: string };
    await server.store.beginIdempotency({
      userId: 'crash',
      key: 'r1',
      sessionId,
      requestHash: fingerprintHash(
        reservationFingerprint({
          sessionId,
          imageName: 'a',
          contentType: 'image/jpeg',
          sizeBytes: jpeg.byteLength,
          sha256: digest.digest('hex'),
          md5: undefined,
        }),
      ),
      ttlMs: 24 * 3600 * 1000,
      leaseMs: 60_000,
      now: clock,
    });
    expect((await reserve({ 'idempotency-key': 'r1' })).status).toBe(409);
    clock += 10 * 60_000;
    const res = await reserve({ 'idempotency-key': 'r1' });
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    const retried = (await res.json()) as {
      image_id: string;
      upload: { method: string; url: string; headers: Record<string, string> };
    };
    expect(retried.image_id).toBe(first.image_id);
    // A fresh URL for the same reservation: it takes the bytes, and the session holds one image.
    const put = await fetch(retried.upload.url, {
      method: retried.upload.method,
      headers: retried.upload.headers,
      body: new Uint8Array(jpeg),
    });
    expect(put.status).toBe(204);
    const session = await server.call(`/v1/session/${sessionId}`, { user: 'crash' });
    expect(((await session.json()) as { image_count: number }).image_count).toBe(1);
  });
});
