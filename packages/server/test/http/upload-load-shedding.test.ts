import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../encoder/sample-images.js';
import { stalledUpload } from '../support/stalled-upload.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ uploadBufferMb: 2, uploadDecodes: 1 });
});
afterAll(() => server.dispose());

describe('upload load shedding', () => {
  it('answers 503 with Retry-After past the buffered-bytes budget, keeps /healthz fast, and recovers', async () => {
    const newSession = async () => {
      const created = await server.call('/v1/session', {
        method: 'POST',
        user: 'burst',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return ((await created.json()) as { session_id: string }).session_id;
    };
    const sessionId = await newSession();
    const jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();
    // Each probe in a session of its own, so a full session never answers for the gate.
    const probe = async () =>
      server.call(`/v1/image/${await newSession()}`, {
        method: 'POST',
        user: 'burst',
        body: imageForm(jpeg),
      });

    const stalled = [
      stalledUpload(server.url, sessionId, 'burst'),
      stalledUpload(server.url, sessionId, 'burst'),
      stalledUpload(server.url, sessionId, 'burst'),
    ];
    let refused: Response | null = null;
    for (let i = 0; i < 100 && !refused; i++) {
      const res = await probe();
      if (res.status === 503) refused = res;
      else await sleep(20);
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(((await refused?.json()) as { code: string }).code).toBe('service_unavailable');
    expect((await server.call('/healthz')).status).toBe(200);

    for (const req of stalled) req.destroy();
    let accepted = 0;
    for (let i = 0; i < 100 && accepted === 0; i++) {
      const res = await probe();
      if (res.status === 201) accepted += 1;
      else await sleep(20);
    }
    expect(accepted).toBe(1);
  });
});
