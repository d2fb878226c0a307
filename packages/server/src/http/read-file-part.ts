import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ApiError } from '../errors/error-catalog.js';
import { ACCEPTED_IMAGE_TYPES, sniffImageType, type ImageContentType } from './image-type.js';

export interface RawFile {
  bytes: Buffer;
  type: ImageContentType;
  sha256: string;
  /** Base64, when asked for. */
  md5: string | null;
}

export interface ReadFilePartOptions {
  /** Busboy's limit on the part, named in the 413 when it truncates. */
  maxFileBytes: number;
  /** Also compute the MD5 (only a request with Content-MD5 needs it). Default false. */
  md5?: boolean;
  /** Bytes hashed between turns of the event loop. Default 1 MiB. */
  yieldEveryBytes?: number;
  /**
   * The most the part can hold (the request's Content-Length, capped at maxFileBytes): the bytes are
   * copied into one buffer of that size as they arrive, not joined in one copy at the end. Default none.
   */
  capacityBytes?: number;
}

/** The part's bytes as they arrive: into one preallocated buffer while they fit, else as chunks. */
class PartBytes {
  #buffer: Buffer | null;
  #chunks: Buffer[] = [];
  size = 0;

  constructor(capacity: number | undefined) {
    this.#buffer = capacity && capacity > 0 ? Buffer.allocUnsafe(capacity) : null;
  }

  add(chunk: Buffer): void {
    if (this.#buffer && this.size + chunk.length <= this.#buffer.length) chunk.copy(this.#buffer, this.size);
    else {
      if (this.#buffer) this.#chunks = [this.#buffer.subarray(0, this.size)];
      this.#buffer = null;
      this.#chunks.push(chunk);
    }
    this.size += chunk.length;
  }

  all(): Buffer {
    if (this.#buffer) return this.#buffer.subarray(0, this.size);
    return this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.size);
  }
}

const notAnImage = () =>
  new ApiError(
    'unsupported_media_type',
    `The file is not an image of an accepted type. Send one of: ${ACCEPTED_IMAGE_TYPES.join(', ')}.`,
  );

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads the `file` part into memory (at most `maxFileBytes`: busboy truncates past the limit) while
 * hashing it, and refuses a non-image at its first bytes. The raw upload (which may carry EXIF) is
 * never written anywhere: only its normalized copy (metadata stripped) can be stored.
 *
 * Chunks already buffered are read with no turn of the event loop between them, so without a pause
 * every megabyte an upload has queued is hashed in one go (1.8 s stalls in a 150-upload burst).
 */
export async function readFilePart(
  file: Readable & { truncated?: boolean },
  o: ReadFilePartOptions,
): Promise<RawFile> {
  const yieldEvery = o.yieldEveryBytes ?? 2 ** 20;
  const sha256 = createHash('sha256');
  const md5 = o.md5 ? createHash('md5') : null;
  const part = new PartBytes(o.capacityBytes);
  let sinceTurn = 0;
  let type: ImageContentType | null = null;
  for await (const chunk of file as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    md5?.update(chunk);
    part.add(chunk);
    if (!type && part.size >= 12) {
      // Leaving the loop destroys the stream; the request is refused at its first bytes.
      type = sniffImageType(part.all().subarray(0, 16));
      if (!type) throw notAnImage();
    }
    sinceTurn += chunk.length;
    if (sinceTurn >= yieldEvery) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  if (file.truncated)
    throw new ApiError('file_too_large', `The file is over the ${o.maxFileBytes / 2 ** 20} MiB limit.`);
  if (part.size === 0) throw new ApiError('invalid_image', 'The file is empty.');
  const bytes = part.all();
  type ??= sniffImageType(bytes);
  if (!type) throw notAnImage();
  return { bytes, type, sha256: sha256.digest('hex'), md5: md5?.digest('base64') ?? null };
}
