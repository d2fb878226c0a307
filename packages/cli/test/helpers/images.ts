import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

const serverRequire = createRequire(new URL('../../../server/package.json', import.meta.url));
const demoDir = join(dirname(serverRequire.resolve('@vladmandic/face-api/package.json')), 'demo');

/** A sample photo that @vladmandic/face-api ships (group photos with a few faces). */
export function samplePhoto(n: 1 | 2 | 3 | 4 | 5 | 6): string {
  return join(demoDir, `sample${n}.jpg`);
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Crops one face out of a photo with a margin around its box, written as JPEG. */
export async function cropFace(
  source: string,
  box: Box,
  target: string,
  options: { flip?: boolean } = {},
): Promise<string> {
  const meta = await sharp(source).metadata();
  const margin = Math.max(box.width, box.height) * 0.5;
  const left = Math.max(0, Math.floor(box.x - margin));
  const top = Math.max(0, Math.floor(box.y - margin));
  const width = Math.min((meta.width ?? 0) - left, Math.ceil(box.width + 2 * margin));
  const height = Math.min((meta.height ?? 0) - top, Math.ceil(box.height + 2 * margin));
  let image = sharp(source).extract({ left, top, width, height });
  if (options.flip) image = image.flop();
  await image.jpeg({ quality: 92 }).toFile(target);
  return target;
}

/** A PNG of flat color: a valid image with no face. */
export async function blankPng(target: string): Promise<string> {
  await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 180, b: 160 } } })
    .png()
    .toFile(target);
  return target;
}

/** A file with a JPEG header that is larger than `mib` MiB. */
export function oversizedJpeg(target: string, mib: number): string {
  const bytes = Buffer.alloc(Math.ceil(mib * 1024 * 1024) + 1024);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  writeFileSync(target, bytes);
  return target;
}

/** Plain text under an image name. */
export function textAsJpeg(target: string): string {
  writeFileSync(target, 'this is not an image\n');
  return target;
}
