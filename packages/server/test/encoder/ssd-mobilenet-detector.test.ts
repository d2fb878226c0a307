import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type * as FaceApi from '@vladmandic/face-api';
import { ssdAnchors } from '../../src/encoder/ssd-anchors.js';
import { SsdMobilenetDetector, type SsdParams } from '../../src/encoder/ssd-mobilenet-detector.js';
import { loadEncoderRuntime, type Tf } from '../support/encoder-runtime.js';
import { sample } from './sample-images.js';

let tf: Tf;
let faceapi: typeof FaceApi;
let detector: SsdMobilenetDetector;

beforeAll(async () => {
  ({ tf, faceapi } = await loadEncoderRuntime());
  detector = new SsdMobilenetDetector(tf, faceapi.nets.ssdMobilenetv1.params as unknown as SsdParams);
}, 120_000);

describe('ssdAnchors', () => {
  it('reproduces the 5118 anchors face-api ships for a 512×512 input', () => {
    const shipped = (
      faceapi.nets.ssdMobilenetv1.params as unknown as {
        output_layer: { extra_dim: { dataSync(): Float32Array } };
      }
    ).output_layer.extra_dim.dataSync();
    const ours = ssdAnchors(
      [
        [32, 32],
        [16, 16],
        [8, 8],
        [4, 4],
        [2, 2],
        [1, 1],
      ],
      512,
      512,
    );
    expect(ours.length).toBe(shipped.length);
    let worst = 0;
    for (let i = 0; i < ours.length; i++)
      worst = Math.max(worst, Math.abs((ours[i] as number) - (shipped[i] as number)));
    // The shipped ones were computed in float32 by TensorFlow; ours in float64.
    expect(worst).toBeLessThan(1e-4);
  });

  it('keeps anchor sizes in pixels on other inputs', () => {
    const small = ssdAnchors([[20, 15]], 320, 240);
    // The first anchor of the lowest level is 0.1 × 512 = 51.2 px square wherever the input size.
    expect(((small[2] as number) - (small[0] as number)) * 320).toBeCloseTo(51.2, 3);
    expect(((small[3] as number) - (small[1] as number)) * 240).toBeCloseTo(51.2, 3);
    // Centred on the first cell.
    expect(((small[0] as number) + (small[2] as number)) / 2).toBeCloseTo(0.5 / 20, 6);
  });
});

describe('SsdMobilenetDetector', () => {
  it.each([1, 2, 3, 4, 5, 6] as const)(
    "finds face-api's own detections in sample%i.jpg at 512",
    async (n) => {
      // face-api's input: the image padded to a square (black, bottom/right) and resized to 512×512.
      const { data, info } = await sharp(sample(n))
        .resize(512, 512, { fit: 'contain', position: 'left top', background: '#000' })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const ours = await detector.detect(pixels, info.width, info.height, { minScore: 0.5, maxResults: 20 });
      const image = tf.tensor3d(pixels, [512, 512, 3], 'int32');
      const theirs = await faceapi.nets.ssdMobilenetv1.locateFaces(
        image as unknown as FaceApi.tf.Tensor3D,
        new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 20 }),
      );
      image.dispose();
      expect(ours.length).toBe(theirs.length);
      expect(ours.length).toBeGreaterThanOrEqual(3);
      ours.forEach((d, i) => {
        const t = theirs[i] as FaceApi.FaceDetection;
        expect(d.score).toBeCloseTo(t.score, 3);
        for (const [a, b] of [
          [d.x, t.box.x],
          [d.y, t.box.y],
          [d.width, t.box.width],
          [d.height, t.box.height],
        ] as const) {
          expect(Math.abs(a - b)).toBeLessThan(0.5);
        }
      });
    },
  );

  it('runs on a non-square input and keeps boxes inside it', async () => {
    const { data, info } = await sharp(sample(5))
      .resize({ width: 448 })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const found = await detector.detect(new Uint8Array(data), info.width, info.height, {
      minScore: 0.5,
      maxResults: 20,
    });
    expect(found).toHaveLength(5);
    for (const d of found) {
      expect(d.x).toBeGreaterThanOrEqual(0);
      expect(d.y + d.height).toBeLessThanOrEqual(info.height);
      expect(d.x + d.width).toBeLessThanOrEqual(info.width);
    }
    // maxResults caps the count, best first.
    const two = await detector.detect(new Uint8Array(data), info.width, info.height, {
      minScore: 0.5,
      maxResults: 2,
    });
    expect(two.map((d) => d.score)).toEqual(found.slice(0, 2).map((d) => d.score));
  });

  it('leaves no tensors behind', async () => {
    const pixels = new Uint8Array(320 * 240 * 3).fill(128);
    await detector.detect(pixels, 320, 240, { minScore: 0.5, maxResults: 20 });
    const before = tf.memory().numTensors;
    await detector.detect(pixels, 320, 240, { minScore: 0.5, maxResults: 20 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
