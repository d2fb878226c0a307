// The benchmarks' input: a 640-px single-face selfie cut from sample1.jpg of @vladmandic/face-api, whose demo
// photos ship inside its npm package (no other photos are used or copied anywhere).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { FaceApiEncoder } from '../encoder/faceapi-encoder.js';

const require = createRequire(import.meta.url);
export const SAMPLE_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

export async function benchSelfie(): Promise<Buffer> {
  const source = readFileSync(join(SAMPLE_DIR, 'sample1.jpg'));
  const encoder = new FaceApiEncoder();
  try {
    // The most upright face: a typical selfie pose (sample1's largest face is tilted ~44°).
    const face = (await encoder.encode(source)).faces.sort(
      (a, b) => Math.abs(a.quality.roll) - Math.abs(b.quality.roll),
    )[0];
    if (!face) throw new Error('no face in sample1');
    const pad = face.box.width * 0.9;
    const meta = await sharp(source).metadata();
    const left = Math.max(0, Math.round(face.box.x - pad));
    const top = Math.max(0, Math.round(face.box.y - pad));
    return await sharp(source)
      .extract({
        left,
        top,
        width: Math.min((meta.width ?? 0) - left, Math.round(face.box.width + 2 * pad)),
        height: Math.min((meta.height ?? 0) - top, Math.round(face.box.height + 2 * pad)),
      })
      .resize({ width: 640 })
      .jpeg({ quality: 90 })
      .toBuffer();
  } finally {
    await encoder.close();
  }
}
