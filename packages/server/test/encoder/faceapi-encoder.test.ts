import { createRequire } from 'node:module';
import sharp from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { EncoderError } from '../../src/encoder/encoder-error.js';
import { FaceApiEncoder } from '../../src/encoder/faceapi-encoder.js';
import { FaceDescriptorNet } from '../../src/encoder/face-descriptor-net.js';
import { loadEncoderRuntime } from '../support/encoder-runtime.js';
import type { EncodedFace } from '../../src/encoder/encoder.js';
import {
  collage,
  cropFace,
  distance,
  exifRotated,
  grayscale,
  mirrored,
  noFace,
  pngWithAlpha,
  rescaled,
  sample,
  sixteenBitPng,
  webp,
} from './sample-images.js';

// Real inference on real weights: one encoder for the file, as one worker thread would hold.
const encoder = new FaceApiEncoder();
let sample1Faces: EncodedFace[];
let crop: Buffer;
let cropEncoding: number[];
/** sample1's most upright face (its largest is tilted ~44°). */
let upright: Buffer;
let uprightEncoding: number[];

beforeAll(async () => {
  await encoder.init();
  sample1Faces = (await encoder.encode(sample(1))).faces;
  crop = await cropFace(sample(1), (sample1Faces[0] as EncodedFace).box);
  cropEncoding = ((await encoder.encode(crop)).faces[0] as EncodedFace).encoding;
  const level = [...sample1Faces].sort((a, b) => Math.abs(a.quality.roll) - Math.abs(b.quality.roll))[0];
  upright = await cropFace(sample(1), (level as EncodedFace).box);
  uprightEncoding = ((await encoder.encode(upright)).faces[0] as EncodedFace).encoding;
}, 180_000);

function only(faces: EncodedFace[]): EncodedFace {
  expect(faces).toHaveLength(1);
  return faces[0] as EncodedFace;
}

describe('FaceApiEncoder on the face-api sample photos', () => {
  it.each([
    [1, 3],
    [2, 3],
    [4, 4],
    [5, 5],
  ] as const)('finds the faces in sample%i.jpg', async (n, count) => {
    const result = await encoder.encode(sample(n));
    expect(result.faces).toHaveLength(count);
    const meta = await sharp(sample(n)).metadata();
    expect([result.width, result.height]).toEqual([meta.width, meta.height]);
    for (const face of result.faces) {
      expect(face.encoding).toHaveLength(128);
      expect(face.landmarks).toHaveLength(68);
      expect(face.score).toBeGreaterThan(0.5);
      // Boxes are in source pixels, inside the image.
      expect(face.box.x + face.box.width).toBeLessThanOrEqual(result.width + 0.1);
      expect(face.box.y + face.box.height).toBeLessThanOrEqual(result.height + 0.1);
      expect(face.quality.face_px).toBeGreaterThan(60);
    }
    // Largest face first.
    const areas = result.faces.map((f) => f.box.width * f.box.height);
    expect(areas).toEqual([...areas].sort((a, b) => b - a));
  });

  it('tells different people apart (> 0.6) within one photo', () => {
    for (let i = 0; i < sample1Faces.length; i++) {
      for (let j = i + 1; j < sample1Faces.length; j++) {
        expect(distance(sample1Faces[i]!.encoding, sample1Faces[j]!.encoding)).toBeGreaterThan(0.6);
      }
    }
  });

  it('matches a face cropped out of its photo with itself in the photo', () => {
    expect(distance(cropEncoding, sample1Faces[0]!.encoding)).toBeLessThanOrEqual(0.6);
  });

  it('encodes an EXIF-rotated copy within 0.15 of the upright original, in upright pixels', async () => {
    const rotated = await encoder.encode(await exifRotated(crop));
    const upright = await sharp(crop).metadata();
    expect([rotated.width, rotated.height]).toEqual([upright.width, upright.height]);
    expect(distance(only(rotated.faces).encoding, cropEncoding)).toBeLessThanOrEqual(0.15);
  });

  it('matches rescaled crops of one face (≤ 0.6)', async () => {
    for (const width of [200, 320, 900]) {
      const face = only((await encoder.encode(await rescaled(crop, width))).faces);
      expect(distance(face.encoding, cropEncoding), `width ${width}`).toBeLessThanOrEqual(0.6);
      // The box scales with the image.
      expect(face.quality.face_px).toBeLessThan(width);
    }
  });

  it('matches a mirror image, grayscale, PNG with alpha, 16-bit PNG and WebP of the same face', async () => {
    for (const [name, make] of [
      ['mirror', mirrored],
      ['grayscale', grayscale],
      ['png alpha', pngWithAlpha],
      ['16-bit png', sixteenBitPng],
      ['webp', webp],
    ] as const) {
      const face = only((await encoder.encode(await make(crop))).faces);
      expect(distance(face.encoding, cropEncoding), name).toBeLessThanOrEqual(0.6);
    }
  });

  it('reports quality: a blurred copy is less sharp, a darkened copy less bright', async () => {
    const base = only((await encoder.encode(crop)).faces).quality;
    const blurred = only((await encoder.encode(await sharp(crop).blur(1.5).jpeg().toBuffer())).faces).quality;
    const dark = only(
      (await encoder.encode(await sharp(crop).linear(0.6, 0).jpeg().toBuffer())).faces,
    ).quality;
    expect(blurred.sharpness).toBeLessThan(base.sharpness / 2);
    expect(dark.brightness).toBeLessThan(base.brightness);
    const level = only((await encoder.encode(upright)).faces).quality;
    const tilted = only(
      (await encoder.encode(await sharp(upright).rotate(20, { background: '#fff' }).jpeg().toBuffer())).faces,
    );
    // Turning the picture 20° clockwise turns the eye line roughly 20°.
    expect(Math.abs(level.roll)).toBeLessThan(10);
    expect(tilted.quality.roll - level.roll).toBeGreaterThan(12);
    expect(tilted.quality.roll - level.roll).toBeLessThan(28);
  });

  it('finds no face in an image without one', async () => {
    const result = await encoder.encode(await noFace());
    expect(result.faces).toEqual([]);
  });

  it('finds every face of a collage with more than 5 faces', async () => {
    const crops = await Promise.all(
      [sample(4), sample(5)].map(async (img) => {
        const faces = (await encoder.encode(img)).faces;
        return Promise.all(faces.map((f) => cropFace(img, f.box, 200, 0.3)));
      }),
    );
    const result = await encoder.encode(await collage(crops.flat()));
    expect(result.faces.length).toBeGreaterThan(5);
  });

  it('rejects a corrupt file with invalid_image', async () => {
    const corrupt = Buffer.concat([crop.subarray(0, 200), Buffer.alloc(300, 0x55)]);
    await expect(encoder.encode(corrupt)).rejects.toMatchObject({
      name: 'EncoderError',
      code: 'invalid_image',
    });
    await expect(encoder.encode(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(EncoderError);
  });

  it('rejects an image with more pixels than allowed', async () => {
    const small = new FaceApiEncoder({ maxPixels: 10_000 });
    await expect(small.encode(crop)).rejects.toMatchObject({ code: 'invalid_image' });
  });
});

describe('FaceApiEncoder detection passes', () => {
  it('keeps a close-up face from the quick pass: same face, encoding close to the full-size pass', async () => {
    const fullOnly = new FaceApiEncoder({ closeUpInputSize: 0 });
    const quickOnly = new FaceApiEncoder({ detectorInputSize: 320, closeUpInputSize: 0 });
    const quick = only((await encoder.encode(upright)).faces);
    const full = only((await fullOnly.encode(upright)).faces);
    // The quick pass was final: its face is exactly what a 320-px detector alone finds.
    expect(quick).toEqual(only((await quickOnly.encode(upright)).faces));
    expect(distance(quick.encoding, full.encoding)).toBeLessThanOrEqual(0.15);
    const overlap =
      Math.max(
        0,
        Math.min(quick.box.x + quick.box.width, full.box.x + full.box.width) -
          Math.max(quick.box.x, full.box.x),
      ) *
      Math.max(
        0,
        Math.min(quick.box.y + quick.box.height, full.box.y + full.box.height) -
          Math.max(quick.box.y, full.box.y),
      );
    expect(overlap / (full.box.width * full.box.height)).toBeGreaterThan(0.7);
  });

  it('ends after the quick pass on a one-person head-and-shoulders portrait (face ~18% of the long side)', async () => {
    // sample1's largest face, framed 2:3 with the face 18% of the height: no other face in the frame.
    const face = (sample1Faces[0] as EncodedFace).box;
    const h = face.height / 0.18;
    const meta = await sharp(sample(1)).metadata();
    const left = Math.max(0, Math.round(face.x + face.width / 2 - h / 3));
    const top = Math.max(0, Math.round(face.y + face.height / 2 - h * 0.4));
    const portrait = await sharp(sample(1))
      .extract({
        left,
        top,
        width: Math.min((meta.width ?? 0) - left, Math.round((h * 2) / 3)),
        height: Math.min((meta.height ?? 0) - top, Math.round(h)),
      })
      .jpeg({ quality: 92 })
      .toBuffer();
    const quickOnly = new FaceApiEncoder({ detectorInputSize: 320, closeUpInputSize: 0 });
    const faces = (await encoder.encode(portrait)).faces;
    expect(faces).toHaveLength(1);
    expect(faces).toEqual((await quickOnly.encode(portrait)).faces);
  });

  it('runs the full-size pass when the quick pass is unsure of its one face', async () => {
    const fullOnly = new FaceApiEncoder({ closeUpInputSize: 0 });
    const unsure = new FaceApiEncoder({ closeUpMinScore: 1 });
    const quickOnly = new FaceApiEncoder({ detectorInputSize: 320, closeUpInputSize: 0 });
    const quick = only((await quickOnly.encode(upright)).faces);
    const face = only((await unsure.encode(upright)).faces);
    // Both passes ran and the better-scored box of the two was kept.
    const full = only((await fullOnly.encode(upright)).faces);
    expect(face.score).toBe(Math.max(quick.score, full.score));
  });

  it('falls through to the full-size pass for small faces (the quick pass alone misses one in sample2)', async () => {
    const quickOnly = new FaceApiEncoder({ detectorInputSize: 320, closeUpInputSize: 0 });
    expect((await quickOnly.encode(sample(2))).faces.length).toBeLessThan(3);
    expect((await encoder.encode(sample(2))).faces).toHaveLength(3);
  });
});

describe('FaceApiEncoder with the tiny detector', () => {
  it('finds the same face and encodes it in the same space', async () => {
    const tiny = new FaceApiEncoder({ detector: 'tiny_face_detector' });
    expect(tiny.model.id).toContain('tiny_face_detector');
    const face = only((await tiny.encode(upright)).faces);
    expect(distance(face.encoding, uprightEncoding)).toBeLessThanOrEqual(0.3);
  });
});

describe('FaceApiEncoder memory', () => {
  it('leaves no tensors behind across encodes (bounded memory)', async () => {
    const tf = createRequire(import.meta.url)('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
    await encoder.encode(crop);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await encoder.encode(crop);
    await encoder.encode(await noFace());
    await expect(encoder.encode(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(EncoderError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees the face crops when the landmark or recognition net fails', async () => {
    const { tf, faceapi } = await loadEncoderRuntime();
    await encoder.encode(crop);
    const before = tf.memory().numTensors;
    const failures = [
      vi.spyOn(faceapi.nets.faceLandmark68Net, 'detectLandmarks'),
      vi.spyOn(FaceDescriptorNet.prototype, 'compute'),
    ];
    try {
      for (const spy of failures) {
        spy.mockRejectedValueOnce(new Error('out of memory'));
        await expect(encoder.encode(crop)).rejects.toMatchObject({ code: 'encoding_failed' });
        expect(tf.memory().numTensors).toBe(before);
      }
    } finally {
      for (const spy of failures) spy.mockRestore();
    }
    // The encoder still works afterwards.
    expect((await encoder.encode(crop)).faces).toHaveLength(1);
  });
});
