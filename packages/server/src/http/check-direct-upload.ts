import { createHash } from 'node:crypto';
import { ApiError } from '../errors/error-catalog.js';
import type { ImageRecord } from '../storage/records.js';
import { sniffImageType } from './image-type.js';
import { normalizeImage, type NormalizeOptions } from './receive-upload.js';

/**
 * Checks a direct upload's object against its reservation (size, SHA-256, type from the magic bytes)
 * and returns it normalized as uploads are (decoded within the pixel limit, upright, EXIF stripped, at most maxStoredBytes).
 * `decode` runs the decode, e.g. through the upload gate.
 */
export async function checkDirectUpload(
  bytes: Uint8Array,
  reserved: Pick<ImageRecord, 'sizeBytes' | 'sha256' | 'contentType'>,
  o: NormalizeOptions & { decode: (run: () => Promise<Buffer>) => Promise<Buffer> },
): Promise<Buffer> {
  if (bytes.byteLength !== reserved.sizeBytes) {
    throw new ApiError(
      'digest_mismatch',
      `The uploaded object is ${bytes.byteLength} bytes; the reservation declared ${reserved.sizeBytes}.`,
    );
  }
  if (createHash('sha256').update(bytes).digest('hex') !== reserved.sha256)
    throw new ApiError('digest_mismatch', 'The uploaded object does not match the declared sha256.');
  const type = sniffImageType(bytes.subarray(0, 16));
  if (type !== reserved.contentType) {
    throw new ApiError(
      'invalid_image',
      type
        ? `The file is ${type}, not the declared ${reserved.contentType}.`
        : `The file is not an image of the declared type ${reserved.contentType}.`,
    );
  }
  return o.decode(() => normalizeImage(bytes, o));
}
