import { beforeAll, expect, it } from 'vitest';
import type * as FaceApi from '@vladmandic/face-api';
import { FaceDescriptorNet, type FaceRecognitionParams } from '../../src/encoder/face-descriptor-net.js';
import { loadEncoderRuntime, type Tf } from '../support/encoder-runtime.js';
import { sample } from './sample-images.js';
import sharp from 'sharp';

let tf: Tf;
let faceapi: typeof FaceApi;

beforeAll(async () => {
  ({ tf, faceapi } = await loadEncoderRuntime());
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
