import { createRequire } from 'node:module';
import { beforeAll, expect, it } from 'vitest';
import type * as FaceApi from '@vladmandic/face-api';
import { FaceApiEncoder } from '../../src/encoder/faceapi-encoder.js';
import { faceCrops } from '../../src/encoder/face-crops.js';
import { FaceDescriptorNet, type FaceRecognitionParams } from '../../src/encoder/face-descriptor-net.js';
import { sample } from './sample-images.js';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
type Tf = typeof import('@tensorflow/tfjs');
let tf: Tf;
let faceapi: typeof FaceApi;

beforeAll(async () => {
  await new FaceApiEncoder().init();
  tf = require('@tensorflow/tfjs') as Tf;
  faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi;
}, 120_000);

it("computes face-api's descriptors for a batch of crops of any shape", async () => {
  const net = new FaceDescriptorNet(
    tf,
    faceapi.nets.faceRecognitionNet.params as unknown as FaceRecognitionParams,
  );
  const { data, info } = await sharp(sample(5)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = tf.tensor3d(new Uint8Array(data), [info.height, info.width, 3], 'int32');
  // Wide, tall, square and already-150 crops exercise both padding directions and the no-resize path.
  const crops = [
    tf.slice(image, [100, 300, 0], [180, 240, 3]),
    tf.slice(image, [50, 500, 0], [260, 170, 3]),
    tf.slice(image, [300, 100, 0], [200, 200, 3]),
    tf.slice(image, [0, 0, 0], [150, 150, 3]),
  ] as unknown as FaceApi.tf.Tensor3D[];
  const ours = await net.compute(crops as unknown as import('@tensorflow/tfjs').Tensor3D[]);
  expect(ours).toHaveLength(4);
  for (const [i, crop] of crops.entries()) {
    const theirs = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop)) as Float32Array;
    const mine = ours[i] as Float32Array;
    expect(mine).toHaveLength(128);
    let worst = 0;
    for (let j = 0; j < 128; j++)
      worst = Math.max(worst, Math.abs((mine[j] as number) - (theirs[j] as number)));
    expect(worst).toBeLessThan(1e-4);
  }
  for (const c of crops) c.dispose();
  image.dispose();
  const before = tf.memory().numTensors;
  expect(await net.compute([])).toEqual([]);
  net.dispose();
  expect(tf.memory().numTensors).toBeLessThan(before);
});

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
