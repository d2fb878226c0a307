import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import sharp from 'sharp';
import { shapeProblem } from '../encoder/image-shape.js';
import { ApiError } from '../errors/error-catalog.js';
import { sanitizeImageName } from './image-name.js';
import { checkMultipartBoundary, malformedMultipart } from './multipart-boundary.js';
import { ClientGoneError, whenBodyStalls } from './body-stall.js';
import { holdUntilDone } from './upload-gate.js';
import { continueBody } from './expect-continue.js';
import type { ImageContentType } from './image-type.js';
import { stripJpegMetadata } from './strip-jpeg-metadata.js';
import { stripPngMetadata } from './strip-png-metadata.js';
import { readFilePart, type RawFile } from './read-file-part.js';

export interface ReceivedImage {
  /** The normalized image: upright, metadata (EXIF) stripped, at most maxFileBytes. The caller decides whether to keep it. */
  normalized: Buffer;
  contentType: ImageContentType;
  /** Of the uploaded bytes. */
  sizeBytes: number;
  sha256: string;
  /** Base64, only when the request carries Content-MD5 to check it against. */
  md5: string | null;
  imageName: string | null;
}

export interface ReceiveOptions {
  maxFileBytes: number;
  maxPixels: number;
  /** Accept an `image_name` field. */
  withName: boolean;
}

/**
 * Reads a multipart upload: exactly one `file` part (read into memory while it is hashed and sniffed)
 * and optionally `image_name`. The image is checked with sharp (header first, with a pixel limit, then
 * a full decode) and returned normalized.
 */
export async function receiveUpload(request: FastifyRequest, o: ReceiveOptions): Promise<ReceivedImage> {
  if (!request.isMultipart())
    throw new ApiError('validation_failed', 'Send the image as multipart/form-data with a `file` field.');
  checkMultipartBoundary(request.headers['content-type']);
  // Admitted before a byte is read: a refused upload costs nothing. A chunked body counts as the most
  // it may be; the budget is given back when the response is done.
  const declared = Number(request.headers['content-length']);
  const admitted =
    Number.isFinite(declared) && declared > 0 ? Math.min(declared, o.maxFileBytes) : o.maxFileBytes;
  holdUntilDone(request, request.server.uploadGate.admit(admitted));
  continueBody(request.raw);
  let raw: RawFile | null;
  let imageName: string | null;
  const stall = whenBodyStalls(request.raw);
  try {
    const parts = request.parts({
      limits: { fileSize: o.maxFileBytes, files: 1, fields: 2, fieldSize: 1024, parts: 3, headerPairs: 50 },
    });
    const read = async () => {
      let raw: RawFile | null = null;
      let imageName: string | null = null;
      for await (const part of parts) {
        if (part.type === 'file') {
          if (part.fieldname !== 'file') {
            part.file.resume();
            throw new ApiError(
              'validation_failed',
              `Unexpected file field "${part.fieldname}"; send the image as \`file\`.`,
            );
          }
          raw = await readFilePart(part.file, {
            maxFileBytes: o.maxFileBytes,
            md5: typeof request.headers['content-md5'] === 'string',
            capacityBytes: admitted,
          });
        } else if (o.withName && part.fieldname === 'image_name') {
          const value = String(part.value ?? '');
          // Characters (code points), as the spec counts them, not UTF-16 units.
          if ([...value].length > 255)
            throw new ApiError('validation_failed', 'image_name must be at most 255 characters.');
          imageName = sanitizeImageName(value);
        } else {
          throw new ApiError('validation_failed', `Unexpected form field "${part.fieldname}".`);
        }
      }
      return { raw, imageName };
    };
    const reading = read();
    // When the stall wins, the abandoned read may still fail; that failure is already answered.
    reading.catch(() => {});
    ({ raw, imageName } = await Promise.race([reading, stall.promise]));
  } catch (error) {
    // multipart's own limit error, when the stream failed before the truncation was seen.
    if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new ApiError('file_too_large', `The file is over the ${o.maxFileBytes / 2 ** 20} MiB limit.`);
    }
    if (error instanceof ApiError || error instanceof ClientGoneError) throw error;
    if ((error as { statusCode?: number }).statusCode) throw error;
    // busboy's own parse errors (no boundary, truncated, garbage, bare LF) are the client's.
    throw malformedMultipart(error);
  } finally {
    stall.cancel();
  }
  if (!raw) throw new ApiError('validation_failed', 'The `file` field is required.');
  const bytes = raw.bytes;
  const normalized = await request.server.uploadGate.decode(() =>
    normalizeImage(bytes, { maxPixels: o.maxPixels, maxStoredBytes: o.maxFileBytes }),
  );
  return {
    normalized,
    contentType: raw.type,
    sizeBytes: raw.bytes.length,
    sha256: raw.sha256,
    md5: raw.md5,
    imageName,
  };
}

export interface NormalizeOptions {
  /** Decoded pixel limit (decompression bombs); more is invalid_image. */
  maxPixels: number;
  /** Most bytes the stored copy may take: the upload limit, so that it bounds disk use too. */
  maxStoredBytes: number;
}

const MiB = 2 ** 20;

/**
 * Checks the shape (sides, aspect ratio, pixels) from the header before decoding (decompression bombs
 * and 1 × 40,000,000 strips never allocate), then decodes it fully (truncated or corrupt files fail
 * here, not in a worker) and returns a copy without metadata, so EXIF is never stored:
 * - an upright JPEG or PNG keeps its compressed data, only its metadata segments dropped: the same
 *   pixels, never larger than the upload (a quality-95 re-encode made a 6.9 MB JPEG 30 MB);
 * - an EXIF-rotated one, a WebP and a GIF (its first frame, as PNG) are re-encoded upright;
 * - a re-encode over `maxStoredBytes` is re-encoded as JPEG (onto white, as the worker sees it) at
 *   quality 85, then 70; past that the image is refused, so no stored copy exceeds the upload limit.
 */
export async function normalizeImage(bytes: Uint8Array, o: NormalizeOptions): Promise<Buffer> {
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: o.maxPixels }).metadata();
  } catch {
    throw new ApiError('invalid_image', 'The image could not be read.');
  }
  if (!meta.width || !meta.height) throw new ApiError('invalid_image', 'The image has no dimensions.');
  const problem = shapeProblem(meta.width, meta.height, o.maxPixels);
  if (problem) throw new ApiError('invalid_image', problem);
  // sharp reads the first frame of an animated GIF (or WebP) only.
  const decode = (input: Uint8Array) => sharp(input, { limitInputPixels: o.maxPixels, failOn: 'truncated' });
  const upright = (meta.orientation ?? 1) === 1;
  const stripped = !upright
    ? null
    : meta.format === 'jpeg'
      ? stripJpegMetadata(bytes)
      : meta.format === 'png'
        ? stripPngMetadata(bytes)
        : null;
  const attempts: Array<() => Promise<Buffer>> = [
    stripped
      ? // A decode of all the compressed data (truncated files fail) into an 8×8 thumbnail: no encode, no
        // full-size buffer (stats() cost 4× a re-encode: it also convolves for sharpness).
        () =>
          decode(stripped)
            .resize(8, 8, { fit: 'fill', kernel: 'nearest' })
            .raw()
            .toBuffer()
            .then(() => stripped)
      : () => {
          // PNG stays lossless (16-bit and alpha survive); JPEG and WebP are re-encoded at high quality.
          // The blob is deleted once encoded, so the encoders favour speed over size: no Huffman
          // optimisation pass for JPEG, light zlib for PNG, the fastest WebP method (same quality).
          const image = decode(bytes).rotate();
          return meta.format === 'png' || meta.format === 'gif'
            ? image.png({ compressionLevel: 1 }).toBuffer()
            : meta.format === 'webp'
              ? image.webp({ quality: 95, effort: 0 }).toBuffer()
              : image.jpeg({ quality: 95, optimiseCoding: false }).toBuffer();
        },
    ...[85, 70].map(
      (quality) => () =>
        decode(bytes).rotate().flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer(),
    ),
  ];
  for (const attempt of attempts) {
    let out: Buffer;
    try {
      out = await attempt();
    } catch {
      throw new ApiError('invalid_image', 'The image could not be decoded.');
    }
    if (out.length <= o.maxStoredBytes) return out;
  }
  throw new ApiError(
    'invalid_image',
    `Re-encoded upright without its metadata, the image is over the ${o.maxStoredBytes / MiB} MiB limit. ` +
      'Send it smaller, or as a JPEG without an EXIF rotation.',
  );
}
