import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyRequestHash } from '../../src/http/upload-idempotency.js';
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
});
