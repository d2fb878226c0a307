// The benchmarks' inputs: a 640-px single-face selfie and a 768×1154 head-and-shoulders portrait, both cut
// from sample1.jpg of @vladmandic/face-api, whose demo photos ship inside its npm package, and, when
// ../shared/fixtures/faces exists, a one-person portrait read from it in place (never copied).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { FaceApiEncoder } from '../encoder/faceapi-encoder.js';
import type { FaceBox } from '../storage/records.js';

const require = createRequire(import.meta.url);
export const SAMPLE_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
/** ../shared/fixtures/faces beside the repository (from the built dist/), or FACE_ENCODE_FIXTURES. */
export const SHARED_FACES =
  process.env.FACE_ENCODE_FIXTURES ??
  join(resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..'), '../shared/fixtures/faces');

/** sample1.jpg, its size and its most upright face: a typical selfie pose (its largest is tilted ~44°). */
async function uprightFace(): Promise<{ source: Buffer; width: number; height: number; box: FaceBox }> {
  const source = readFileSync(join(SAMPLE_DIR, 'sample1.jpg'));
  const encoder = new FaceApiEncoder();
  try {
    const result = await encoder.encode(source);
    const face = result.faces.sort((a, b) => Math.abs(a.quality.roll) - Math.abs(b.quality.roll))[0];
    if (!face) throw new Error('no face in sample1');
    return { source, width: result.width, height: result.height, box: face.box };
  } finally {
    await encoder.close();
  }
}

/** A crop of sample1 around its upright face, `width`×`height`, as JPEG. */
async function cut(
  f: { source: Buffer; width: number; height: number },
  r: { left: number; top: number; width: number; height: number },
  width: number,
  height?: number,
): Promise<Buffer> {
  const left = Math.max(0, Math.round(r.left));
  const top = Math.max(0, Math.round(r.top));
  return sharp(f.source)
    .extract({
      left,
      top,
      width: Math.min(f.width - left, Math.round(r.width)),
      height: Math.min(f.height - top, Math.round(r.height)),
    })
    .resize(width, height, height ? { fit: 'fill' } : {})
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** The close-up selfie: the face with 0.9 of its width around it, 640 px wide. */
export async function benchSelfie(): Promise<Buffer> {
  const f = await uprightFace();
  const pad = f.box.width * 0.9;
  return cut(
    f,
    { left: f.box.x - pad, top: f.box.y - pad, width: f.box.width + 2 * pad, height: f.box.height + 2 * pad },
    640,
  );
}

/**
 * A head-and-shoulders portrait: the face ~18% of the long side, 2:3, resized to 768×1154. The neighbour's
 * face, cut by the frame's edge, is in it too: two faces.
 */
export async function benchPortrait(): Promise<Buffer> {
  const f = await uprightFace();
  const h = f.box.height / 0.18;
  const w = (h * 2) / 3;
  return cut(
    f,
    {
      left: f.box.x + f.box.width / 2 - w / 2,
      top: f.box.y + f.box.height / 2 - h * 0.4,
      width: w,
      height: h,
    },
    768,
    1154,
  );
}

/**
 * A one-person portrait: ../shared's biden1.jpg (970×2204, the face 18% of the long side) at 1154 px high;
 * null without ../shared.
 */
export async function sharedPortrait(): Promise<Buffer | null> {
  const path = join(SHARED_FACES, 'biden/biden1.jpg');
  if (!existsSync(path)) return null;
  return sharp(readFileSync(path)).resize({ height: 1154 }).jpeg({ quality: 90 }).toBuffer();
}
