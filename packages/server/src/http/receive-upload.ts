import type {} from '@fastify/multipart';
import { createHash, randomUUID } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import sharp from 'sharp';
import { ApiError } from '../errors/error-catalog.js';
import type { BlobStore } from '../storage/blob-store.js';
import { sanitizeImageName } from './image-name.js';
import { sniffImageType, type ImageContentType } from './image-type.js';

export interface ReceivedImage {
  /** The normalized image: upright, metadata (EXIF) stripped. The caller decides whether to keep it. */
  normalized: Buffer;
  contentType: ImageContentType;
  /** Of the uploaded bytes. */
  sizeBytes: number;
  sha256: string;
  md5: string;
  imageName: string | null;
}

export interface ReceiveOptions {
  blobs: BlobStore;
  maxFileBytes: number;
  maxPixels: number;
  /** Accept an `image_name` field. */
  withName: boolean;
}

/** Hashes and sniffs the bytes as they stream by; refuses a non-image at its first bytes. */
class InspectStream extends Transform {
  readonly sha256 = createHash('sha256');
  readonly md5 = createHash('md5');
  head = Buffer.alloc(0);
  type: ImageContentType | null = null;
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.sha256.update(chunk);
    this.md5.update(chunk);
    this.size += chunk.length;
    if (!this.type && this.head.length < 16) {
      this.head = Buffer.concat([this.head, chunk.subarray(0, 16 - this.head.length)]);
      if (this.head.length >= 12) {
        this.type = sniffImageType(this.head);
        if (!this.type)
          return done(new ApiError('unsupported_media_type', 'The file is not a JPEG, PNG or WebP image.'));
      }
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (!this.type) {
      this.type = sniffImageType(this.head);
      if (!this.type) {
        return done(
          this.size === 0
            ? new ApiError('invalid_image', 'The file is empty.')
            : new ApiError('unsupported_media_type', 'The file is not a JPEG, PNG or WebP image.'),
        );
      }
    }
    done();
  }
}

/**
 * Reads a multipart upload: exactly one `file` part (streamed to a temp blob while it is hashed and
 * sniffed) and optionally `image_name`. The image is checked with sharp (header first, with a pixel
 * limit, then a full decode) and returned normalized. The raw upload is always removed.
 */
export async function receiveUpload(request: FastifyRequest, o: ReceiveOptions): Promise<ReceivedImage> {
  if (!request.isMultipart())
    throw new ApiError('validation_failed', 'Send the image as multipart/form-data with a `file` field.');
  const uploadKey = `uploads/${randomUUID()}`;
  let stored = false;
  let inspect: InspectStream | null = null;
  let imageName: string | null = null;
  try {
    const parts = request.parts({
      limits: { fileSize: o.maxFileBytes, files: 1, fields: 2, fieldSize: 1024, parts: 3, headerPairs: 50 },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw new ApiError(
            'validation_failed',
            `Unexpected file field "${part.fieldname}"; send the image as \`file\`.`,
          );
        }
        const inspector = new InspectStream();
        inspect = inspector;
        // pipeline() owns the error handling of both streams; put() consumes the inspected bytes.
        const [, put] = await Promise.allSettled([
          pipeline(part.file, inspector),
          o.blobs.put(uploadKey, inspector),
        ]);
        if (put.status === 'rejected') throw put.reason;
        stored = true;
        if (part.file.truncated)
          throw new ApiError('file_too_large', `The file is over the ${o.maxFileBytes / 2 ** 20} MiB limit.`);
      } else if (o.withName && part.fieldname === 'image_name') {
        const value = String(part.value ?? '');
        if (value.length > 255)
          throw new ApiError('validation_failed', 'image_name must be at most 255 characters.');
        imageName = sanitizeImageName(value);
      } else {
        throw new ApiError('validation_failed', `Unexpected form field "${part.fieldname}".`);
      }
    }
    if (!inspect || !stored) throw new ApiError('validation_failed', 'The `file` field is required.');
    const bytes = await o.blobs.get(uploadKey);
    if (!bytes) throw new ApiError('internal', 'The upload vanished.');
    const normalized = await normalizeImage(bytes, o.maxPixels);
    return {
      normalized,
      contentType: inspect.type as ImageContentType,
      sizeBytes: inspect.size,
      sha256: inspect.sha256.digest('hex'),
      md5: inspect.md5.digest('base64'),
      imageName,
    };
  } catch (error) {
    // The stream may have failed inside put(); map multipart's own errors in the error handler.
    if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new ApiError('file_too_large', `The file is over the ${o.maxFileBytes / 2 ** 20} MiB limit.`);
    }
    throw error;
  } finally {
    await o.blobs.delete(uploadKey);
  }
}

/**
 * Checks the image with a pixel limit before decoding (decompression bombs never allocate), then
 * decodes it fully (truncated or corrupt files fail here, not in a worker) and re-encodes it upright
 * without metadata, so EXIF is never stored.
 */
async function normalizeImage(bytes: Uint8Array, maxPixels: number): Promise<Buffer> {
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
  } catch {
    throw new ApiError('invalid_image', 'The image could not be read.');
  }
  if (!meta.width || !meta.height) throw new ApiError('invalid_image', 'The image has no dimensions.');
  if (meta.width * meta.height > maxPixels) {
    throw new ApiError(
      'invalid_image',
      `The image is ${meta.width}×${meta.height}; the limit is ${maxPixels} pixels.`,
    );
  }
  try {
    const image = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' }).rotate();
    // PNG stays lossless (16-bit and alpha survive); JPEG and WebP are re-encoded at high quality.
    return meta.format === 'png'
      ? await image.png().toBuffer()
      : meta.format === 'webp'
        ? await image.webp({ quality: 95 }).toBuffer()
        : await image.jpeg({ quality: 95 }).toBuffer();
  } catch {
    throw new ApiError('invalid_image', 'The image could not be decoded.');
  }
}
