import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { normalizeImage } from '../../src/http/receive-upload.js';
import { stripJpegMetadata } from '../../src/http/strip-jpeg-metadata.js';
import { stripPngMetadata } from '../../src/http/strip-png-metadata.js';
import { sample } from '../encoder/sample-images.js';

const tag = {
  IFD0: { Copyright: 'private' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100' },
};
const raw = (bytes: Uint8Array) => sharp(bytes).raw().toBuffer();
const base = () => sharp(sample(3)).resize(300).withExif(tag);

/** `stripped` is `original` without its EXIF: the same pixels, channels and depth, fewer bytes. */
async function expectStripped(original: Buffer, stripped: Buffer | null) {
  const before = await sharp(original).metadata();
  expect(before.exif).toBeDefined();
  expect(stripped).not.toBeNull();
  const after = await sharp(stripped!).metadata();
  expect(after.exif).toBeUndefined();
  expect(after).toMatchObject({ channels: before.channels, depth: before.depth, hasAlpha: before.hasAlpha });
  expect(stripped!.length).toBeLessThan(original.length);
  expect((await raw(stripped!)).equals(await raw(original))).toBe(true);
}

describe('stripJpegMetadata', () => {
  it.each([
    ['baseline 4:2:0', () => base().jpeg()],
    ['progressive (several scans)', () => base().jpeg({ progressive: true })],
    [
      '4:4:4, optimised Huffman tables',
      () => base().jpeg({ chromaSubsampling: '4:4:4', optimiseCoding: true }),
    ],
    ['greyscale', () => base().greyscale().jpeg()],
    ['CMYK (Adobe marker)', () => base().toColourspace('cmyk').jpeg()],
  ])('%s: the same pixels, no EXIF, smaller', async (_, make) => {
    const jpeg = await make().toBuffer();
    await expectStripped(jpeg, stripJpegMetadata(jpeg));
  });

  it('gives up on a file without an end-of-image marker, and the upload is refused as before', async () => {
    const jpeg = await base().jpeg().toBuffer();
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    expect(stripJpegMetadata(truncated)).toBeNull();
    await expect(
      normalizeImage(truncated, { maxPixels: 40e6, maxStoredBytes: 2 ** 23 }),
    ).rejects.toMatchObject({
      code: 'invalid_image',
    });
  });
});

describe('stripPngMetadata', () => {
  it.each([
    ['RGBA', () => base().ensureAlpha(0.5).png()],
    ['16-bit', () => base().toColourspace('rgb16').png()],
    ['palette', () => base().png({ palette: true })],
  ])('%s: the same pixels, no EXIF, smaller', async (_, make) => {
    const png = await make().toBuffer();
    await expectStripped(png, stripPngMetadata(png));
  });

  it('gives up on a file cut before IEND', async () => {
    const png = await base().png().toBuffer();
    expect(stripPngMetadata(png.subarray(0, png.length - 20))).toBeNull();
  });
});
