import { beforeAll, expect, it } from 'vitest';
import type * as FaceApi from '@vladmandic/face-api';
import { faceCrops } from '../../src/encoder/face-crops.js';
import { loadEncoderRuntime, type Tf } from '../support/encoder-runtime.js';

let tf: Tf;
let faceapi: typeof FaceApi;

beforeAll(async () => {
  ({ tf, faceapi } = await loadEncoderRuntime());
}, 120_000);

it("cuts the same crops as face-api's extractFaceTensors, edge-clipped and fractional boxes included", async () => {
  const width = 97;
  const height = 61;
  const pixels = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 7919) % 256);
  const boxes = [
    new faceapi.Rect(10.6, 5.2, 30.7, 20.9),
    new faceapi.Rect(-8.3, -4.1, 25, 30), // cut by the left and top edges
    new faceapi.Rect(80.5, 40.2, 40, 40), // cut by the right and bottom edges
    new faceapi.Box({ x: 0, y: 0, width: 97, height: 61 }),
    new faceapi.Rect(120, 10, 5, 5), // outside: dropped by both
  ];
  const image = tf.tensor3d(pixels, [height, width, 3], 'int32') as unknown as FaceApi.tf.Tensor3D;
  const theirs = await faceapi.extractFaceTensors(image, boxes);
  const ours = faceCrops(tf, { pixels, width, height }, boxes);
  expect(ours.map((t) => t.shape)).toEqual(theirs.map((t) => t.shape));
  expect(ours).toHaveLength(4);
  for (const [i, crop] of ours.entries()) {
    expect(crop.dtype).toBe('int32');
    expect(Array.from(await crop.data())).toEqual(
      Array.from(await (theirs[i] as FaceApi.tf.Tensor3D).data()),
    );
  }
  for (const t of [image, ...theirs, ...ours]) t.dispose();
});
