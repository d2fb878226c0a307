import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/encoder/decode-image.js';
import { EncoderError } from '../../src/encoder/encoder-error.js';
import { pngDeclaring } from './hostile-inputs.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let sessionPath: string;

beforeAll(async () => {
  server = await startTestServer();
  const res = await server.call('/v1/session', {
    method: 'POST',
    user: 'shape',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  sessionPath = `/v1/image/${((await res.json()) as { session_id: string }).session_id}`;
});
afterAll(() => server.dispose());

const solid = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#808080' } });

/** Shapes that are cheap to send and expensive (or impossible) to decode and encode. */
const SHAPES: Array<{ name: string; bytes: () => Promise<Buffer>; limit: RegExp }> = [
  { name: '1×40,000,000 PNG header', bytes: async () => pngDeclaring(1, 40_000_000), limit: /12000/ },
  { name: '40,000,000×1 PNG header', bytes: async () => pngDeclaring(40_000_000, 1), limit: /12000/ },
  { name: '65000×8 JPEG', bytes: () => solid(65_000, 8).jpeg().toBuffer(), limit: /12000/ },
  { name: '2×9000 PNG', bytes: () => solid(2, 9_000).png().toBuffer(), limit: /8:1/ },
];

describe('image shape limits', () => {
  for (const path of ['upload', 'selfie'] as const) {
    for (const shape of SHAPES) {
      it(`refuses a ${shape.name} on ${path} with 400 invalid_image naming the limit`, async () => {
        const res = await server.call(path === 'upload' ? sessionPath : '/v1/selfie', {
          method: 'POST',
          user: 'shape',
          body: imageForm(await shape.bytes(), 'x.png'),
        });
        expect(res.status).toBe(400);
        const problem = (await res.json()) as { code: string; detail: string };
        expect(problem.code).toBe('invalid_image');
        expect(problem.detail).toMatch(shape.limit);
      });
    }
  }

  it('is what the worker decoder refuses too', async () => {
    for (const shape of SHAPES) {
      const error = await decodeImage(await shape.bytes(), { maxSide: 1024, maxPixels: 40_000_000 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EncoderError);
      expect((error as EncoderError).message).toMatch(shape.limit);
    }
  });

  it('still takes a 12000×1500 image (at both limits)', async () => {
    const res = await server.call(sessionPath, {
      method: 'POST',
      user: 'shape',
      body: imageForm(await solid(12_000, 1_500).jpeg().toBuffer()),
    });
    expect(res.status).toBe(201);
  });
});
