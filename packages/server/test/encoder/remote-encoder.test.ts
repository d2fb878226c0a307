import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteEncoder } from '../../src/encoder/remote-encoder.js';
import { sample } from './sample-images.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

describe('RemoteEncoder', () => {
  // A peer that answers whatever the test sets, to force each failure the contract allows.
  let answer: { status: number; body: unknown } = { status: 200, body: [] };
  let peer: Server;
  let url: string;
  beforeAll(async () => {
    peer = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body)),
      );
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
  });
  afterAll(() => peer.close());

  it.each([
    [{ status: 400, body: { code: 'too_many_faces', detail: '7 faces' } }, 'too_many_faces'],
    [{ status: 400, body: { code: 'invalid_image', detail: 'bad' } }, 'invalid_image'],
    [{ status: 503, body: { code: 'service_unavailable' } }, 'encoding_failed'],
    [{ status: 200, body: [[1, 2, 3]] }, 'encoding_failed'],
  ])('maps %j to %s', async (reply, code) => {
    answer = reply;
    await expect(new RemoteEncoder({ url }).encode(new Uint8Array([1]))).rejects.toMatchObject({ code });
  });

  it('fails with encoding_failed when nothing answers', async () => {
    await expect(
      new RemoteEncoder({ url: 'http://127.0.0.1:9', timeoutMs: 2000 }).encode(new Uint8Array([1])),
    ).rejects.toMatchObject({
      code: 'encoding_failed',
    });
  });
});

describe('a server whose encoder is another face-encode server', () => {
  let peer: TestServer;
  let front: TestServer;
  beforeAll(async () => {
    peer = await startTestServer({ auth: 'api-key', workers: 1 });
    const key = await peer.createApiKey('encoder-client');
    front = await startTestServer({
      workers: 1,
      encoder: 'remote',
      remoteEncoderUrl: peer.url,
      remoteEncoderToken: key,
    });
  }, 120_000);
  afterAll(async () => {
    await front.dispose();
    await peer.dispose();
  });

  it('encodes uploads through the peer’s /v1/selfie', async () => {
    const jpeg = await sharp(sample(2)).resize(800).jpeg().toBuffer();
    const s = (await (
      await front.call('/v1/session', {
        method: 'POST',
        user: 'u',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { session_id: string };
    const image = (await (
      await front.call(`/v1/image/${s.session_id}?wait=30`, {
        method: 'POST',
        user: 'u',
        body: imageForm(jpeg),
      })
    ).json()) as {
      status: string;
      faces: Array<{ encoding: number[] }>;
    };
    expect(image.status).toBe('done');
    expect(image.faces).toHaveLength(3);
    const summary = (await (await front.call(`/v1/session/${s.session_id}`, { user: 'u' })).json()) as {
      summary: { model: { id: string } };
    };
    expect(summary.summary.model.id).toMatch(/^remote:/);
  });
});
