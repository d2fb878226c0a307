import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError } from './cli-errors.js';

export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif';

/** The image type read from the first bytes, or null when it is not JPEG, PNG, WebP or GIF. */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'image/png';
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  // The server reads a GIF as its first frame.
  if (bytes.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'image/gif';
  return null;
}

/** A file that passed the local checks, with its bytes read once. */
export interface CheckedImage {
  path: string;
  name: string;
  size: number;
  type: ImageType;
  bytes: Uint8Array;
}

/** Options of {@link checkImageFiles}. */
export interface ImageCheckOptions {
  /** Largest accepted file in bytes. Default 8 MiB (the server's default). */
  maxFileBytes?: number;
  /** Most files accepted in one call. Default 5 (images per session). */
  maxFiles?: number;
}

export const MIB = 1024 * 1024;
export const MAX_IMAGES_PER_SESSION = 5;

/**
 * Refuses, before anything is sent, files that the server would refuse: too many, missing,
 * unreadable, empty, too large, or not a JPEG/PNG/WebP/GIF by their bytes. Throws InputError (exit 5).
 */
export async function checkImageFiles(
  paths: string[],
  options: ImageCheckOptions = {},
): Promise<CheckedImage[]> {
  const maxFileBytes = options.maxFileBytes ?? 8 * MIB;
  const maxFiles = options.maxFiles ?? MAX_IMAGES_PER_SESSION;
  if (paths.length > maxFiles) {
    throw new InputError(
      `${paths.length} files given; a session holds at most ${MAX_IMAGES_PER_SESSION} images.`,
      `Pass at most ${maxFiles} files.`,
    );
  }
  const checked: CheckedImage[] = [];
  for (const path of paths) checked.push(await checkOne(path, maxFileBytes));
  return checked;
}

async function checkOne(path: string, maxFileBytes: number): Promise<CheckedImage> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new InputError(`File ${path} does not exist.`, 'Check the path.');
  if (!info.isFile()) throw new InputError(`${path} is not a file.`, 'Pass image files, not directories.');
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new InputError(`File ${path} is not readable.`, 'Check its permissions.');
  }
  if (info.size === 0) throw new InputError(`File ${path} is empty.`, 'Pass a JPEG, PNG, WebP or GIF image.');
  if (info.size > maxFileBytes) {
    throw new InputError(
      `File ${path} is ${(info.size / MIB).toFixed(1)} MiB, over the ${formatMib(maxFileBytes)} MiB limit.`,
      'Shrink the image, or raise the limit with --max-file-mb if the server allows larger files.',
    );
  }
  let bytes: Uint8Array;
  try {
    const handle = await open(path, 'r');
    try {
      bytes = new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  } catch {
    throw new InputError(`File ${path} could not be read.`, 'Check its permissions.');
  }
  const type = sniffImageType(bytes);
  if (!type) {
    throw new InputError(
      `File ${path} is not a JPEG, PNG, WebP or GIF image.`,
      'face-encode accepts JPEG, PNG, WebP and GIF selfies.',
    );
  }
  return { path, name: basename(path), size: bytes.length, type, bytes };
}

function formatMib(bytes: number): string {
  const mib = bytes / MIB;
  return Number.isInteger(mib) ? String(mib) : mib.toFixed(1);
}
