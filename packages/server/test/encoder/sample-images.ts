// Test images: the sample photos shipped inside @vladmandic/face-api, and images derived from them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import type { FaceBox } from '../../src/storage/records.js';

const require = createRequire(import.meta.url);
export const SAMPLE_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

export function samplePath(n: 1 | 2 | 3 | 4 | 5 | 6): string {
  return join(SAMPLE_DIR, `sample${n}.jpg`);
}

export function sample(n: 1 | 2 | 3 | 4 | 5 | 6): Buffer {
  return readFileSync(samplePath(n));
}

/** A JPEG of one face with a margin around it, resized so its width is `width`. */
export async function cropFace(source: Buffer, box: FaceBox, width = 480, margin = 0.6): Promise<Buffer> {
  const meta = await sharp(source).metadata();
  const pad = Math.max(box.width, box.height) * margin;
  const left = Math.max(0, Math.round(box.x - pad));
  const top = Math.max(0, Math.round(box.y - pad));
  const right = Math.min(meta.width ?? 0, Math.round(box.x + box.width + pad));
  const bottom = Math.min(meta.height ?? 0, Math.round(box.y + box.height + pad));
  return sharp(source)
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize({ width })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** The same pixels stored sideways with EXIF orientation 6, so a correct decoder shows them upright. */
export async function exifRotated(upright: Buffer): Promise<Buffer> {
  const sideways = await sharp(upright).rotate(270).jpeg({ quality: 92 }).toBuffer();
  return sharp(sideways).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer();
}

export const mirrored = (img: Buffer) => sharp(img).flop().jpeg({ quality: 92 }).toBuffer();
export const rescaled = (img: Buffer, width: number) =>
  sharp(img).resize({ width }).jpeg({ quality: 92 }).toBuffer();
export const grayscale = (img: Buffer) => sharp(img).grayscale().png().toBuffer();
export const pngWithAlpha = (img: Buffer) => sharp(img).ensureAlpha(0.8).png().toBuffer();
export const sixteenBitPng = (img: Buffer) => sharp(img).toColourspace('rgb16').png().toBuffer();
export const webp = (img: Buffer) => sharp(img).webp({ quality: 90 }).toBuffer();

/** A plain image with no face in it. */
export function noFace(): Promise<Buffer> {
  return sharp({ create: { width: 400, height: 300, channels: 3, background: '#6a8caf' } })
    .jpeg()
    .toBuffer();
}

/** A grid of face crops: more faces than the API allows in one image. */
export async function collage(faces: Buffer[], cell = 200): Promise<Buffer> {
  const cols = 4;
  const rows = Math.ceil(faces.length / cols);
  const tiles = await Promise.all(faces.map((f) => sharp(f).resize(cell, cell, { fit: 'cover' }).toBuffer()));
  return sharp({ create: { width: cols * cell, height: rows * cell, channels: 3, background: '#ffffff' } })
    .composite(
      tiles.map((input, i) => ({ input, left: (i % cols) * cell, top: Math.floor(i / cols) * cell })),
    )
    .jpeg({ quality: 92 })
    .toBuffer();
}

export function distance(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.sqrt(sum);
}

/**
 * Regions of sample1.jpg (1920×1280), found once with the faceapi detector and padded generously so
 * the exact detector output does not matter: one holds the right-hand face only, the other the two
 * faces on the left.
 */
const SAMPLE1_ONE_FACE = { left: 1353, top: 57, width: 445, height: 520 };
const SAMPLE1_TWO_FACES = { left: 262, top: 203, width: 914, height: 590 };

/** A selfie-like JPEG with exactly one face. */
export const oneFace = () =>
  sharp(sample(1)).extract(SAMPLE1_ONE_FACE).resize({ width: 320 }).jpeg({ quality: 92 }).toBuffer();

/** A JPEG with exactly two faces. */
export const twoFaces = () =>
  sharp(sample(1)).extract(SAMPLE1_TWO_FACES).resize({ width: 640 }).jpeg({ quality: 92 }).toBuffer();

/** A 1×1 GIF, the fixture one of the existing client services tests with. */
export const tinyGif = () =>
  sharp({ create: { width: 1, height: 1, channels: 3, background: '#000000' } })
    .gif()
    .toBuffer();

/** The same image as a GIF (palette, so not pixel-identical). */
export const asGif = (img: Buffer) => sharp(img).gif().toBuffer();
