import sharp from 'sharp';
import { EncoderError } from './encoder-error.js';
import { shapeProblem } from './image-shape.js';

export interface DecodedImage {
  /** Upright size (after EXIF orientation), in source pixels. */
  width: number;
  height: number;
  /** RGB, 8 bits per channel, at `scale` × the source size. */
  pixels: Uint8Array;
  pixelWidth: number;
  pixelHeight: number;
  /** Factor from source pixels to `pixels`; ≤ 1. Divide by it to map back to source pixels. */
  scale: number;
}

export interface DecodeOptions {
  /** Longest side of the decoded pixels; larger images are downscaled. */
  maxSide: number;
  /** Decoded pixel limit; more is invalid_image (decompression bombs). */
  maxPixels: number;
}

/**
 * Decodes JPEG, PNG, WebP or GIF (the first frame) into upright 8-bit RGB. EXIF orientation is applied, alpha is flattened
 * onto white, 16-bit and grayscale inputs become 8-bit RGB. Metadata (EXIF) never leaves this function.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  try {
    const input = sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error' });
    const meta = await input.metadata();
    if (!meta.width || !meta.height) throw new EncoderError('invalid_image', 'The image has no dimensions.');
    // The same limits as the upload check: what was accepted is decodable here.
    const problem = shapeProblem(meta.width, meta.height, options.maxPixels);
    if (problem) throw new EncoderError('invalid_image', problem);
    // EXIF orientations 5-8 swap width and height.
    const swapped = (meta.orientation ?? 1) >= 5;
    const width = swapped ? meta.height : meta.width;
    const height = swapped ? meta.width : meta.height;
    const scale = Math.min(1, options.maxSide / Math.max(width, height));
    const { data, info } = await input
      .rotate()
      .resize(
        scale < 1
          ? { width: Math.round(width * scale), height: Math.round(height * scale), fit: 'fill' }
          : undefined,
      )
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3)
      throw new EncoderError('invalid_image', `Unexpected ${info.channels} channels after decode.`);
    return {
      width,
      height,
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      pixelWidth: info.width,
      pixelHeight: info.height,
      scale: info.width / width,
    };
  } catch (error) {
    if (error instanceof EncoderError) throw error;
    throw new EncoderError('invalid_image', 'The image could not be decoded.', { cause: error });
  }
}

/** Resizes 8-bit RGB pixels (libvips, with proper filtering: a plain bilinear downscale aliases). */
export async function resizeRgb(
  pixels: Uint8Array,
  width: number,
  height: number,
  toWidth: number,
  toHeight: number,
): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .resize({ width: toWidth, height: toHeight, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/**
 * A square of `side` source pixels at (`left`, `top`) out of 8-bit RGB `pixels`, resized to `toSide`: the
 * part outside the image is black, as face-api pads. Returns the crop and how to map its pixels back.
 */
export async function cropSquareRgb(
  pixels: Uint8Array,
  width: number,
  height: number,
  square: { left: number; top: number; side: number },
  toSide: number,
): Promise<{ pixels: Uint8Array; width: number; height: number; x0: number; y0: number; scale: number }> {
  const l = Math.max(0, Math.floor(square.left));
  const t = Math.max(0, Math.floor(square.top));
  const r = Math.min(width, Math.ceil(square.left + square.side));
  const b = Math.min(height, Math.ceil(square.top + square.side));
  const k = toSide / square.side;
  const inW = Math.max(1, Math.round((r - l) * k));
  const inH = Math.max(1, Math.round((b - t) * k));
  const padLeft = Math.max(0, Math.round((l - square.left) * k));
  const padTop = Math.max(0, Math.round((t - square.top) * k));
  const { data, info } = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .extract({ left: l, top: t, width: Math.max(1, r - l), height: Math.max(1, b - t) })
    .resize({ width: inW, height: inH, fit: 'fill' })
    .extend({
      left: padLeft,
      top: padTop,
      right: Math.max(0, toSide - inW - padLeft),
      bottom: Math.max(0, toSide - inH - padTop),
      background: { r: 0, g: 0, b: 0 },
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  // A crop pixel (x, y) is source pixel (x0 + x / scale, y0 + y / scale).
  const scale = inW / (r - l);
  return {
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    x0: l - padLeft / scale,
    y0: t - padTop / scale,
    scale,
  };
}
