// The client side of direct-to-storage uploads: describe the bytes (type, size, SHA-256, MD5) for the
// reservation, then send them to the upload target the server returned (S3 or the server itself).
import { ConnectionError, FaceEncodeError, ValidationError } from './errors.js';
import { errorFromResponse } from './error-mapping.js';
import { md5 } from './md5.js';
import { toBase64 } from './upload-body.js';

export interface UploadTarget {
  method: string;
  url: string;
  headers: Record<string, string>;
}

export interface UploadDescription {
  content_type: 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif';
  size_bytes: number;
  sha256: string;
  md5: string;
}

/** The image type from the magic bytes, as the server reads it. */
function sniff(b: Uint8Array): UploadDescription['content_type'] | null {
  const at = (i: number, ...bytes: number[]) => bytes.every((x, j) => b[i + j] === x);
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return 'image/png';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  return null;
}

/** What the reservation declares about the bytes. Needs WebCrypto (any secure origin, Node). */
export async function describeUpload(bytes: Uint8Array): Promise<UploadDescription> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new ValidationError('Direct uploads need WebCrypto (a secure origin) to hash the image.', {
      code: 'validation_failed',
    });
  }
  const type = sniff(bytes);
  if (!type) {
    throw new ValidationError('The file is not a JPEG, PNG, WebP or GIF image.', {
      code: 'unsupported_media_type',
    });
  }
  const sha256 = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return {
    content_type: type,
    size_bytes: bytes.byteLength,
    sha256: toBase64(sha256),
    md5: toBase64(md5(bytes)),
  };
}

/** Progress of a direct upload's bytes, where the platform reports it (browsers with XMLHttpRequest). */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * Sends the bytes to the target with exactly its headers. With `onProgress` and XMLHttpRequest (browsers)
 * it reports progress; otherwise it uses fetch. A refusal becomes the typed error of its code.
 */
export async function sendUpload(
  target: UploadTarget,
  body: Blob,
  o: { fetch: typeof fetch; signal?: AbortSignal; onProgress?: UploadProgress },
): Promise<void> {
  let response: Response;
  try {
    response =
      o.onProgress && typeof XMLHttpRequest !== 'undefined'
        ? await xhrUpload(target, body, o.onProgress, o.signal)
        : await o.fetch(target.url, {
            method: target.method,
            headers: target.headers,
            body,
            signal: o.signal,
          });
  } catch (error) {
    if (error instanceof FaceEncodeError) throw error;
    throw new ConnectionError(`The upload to storage failed: ${String((error as Error)?.message ?? error)}`, {
      code: 'connection_error',
      cause: error,
    });
  }
  if (response.ok) return;
  const text = await response.text();
  let problem: unknown;
  try {
    problem = JSON.parse(text);
  } catch {
    // S3 answers in XML (<Error><Code>BadDigest</Code>…): named with the API's codes for the same refusals.
    const s3Code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${response.status}`;
    const code =
      s3Code === 'BadDigest'
        ? 'digest_mismatch'
        : s3Code === 'EntityTooLarge'
          ? 'file_too_large'
          : response.status === 403 || response.status === 412
            ? 'upload_url_invalid'
            : 'unknown';
    problem = { code, error: `Storage refused the upload: ${s3Code}.` };
  }
  throw errorFromResponse(response, problem);
}

function xhrUpload(target: UploadTarget, body: Blob, onProgress: UploadProgress, signal?: AbortSignal) {
  return new Promise<Response>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    for (const [name, value] of Object.entries(target.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.total || body.size);
    // A 204 (the file-store target's answer) must have a null body: `new Response('', 204)` throws,
    // and a throw here would leave the promise pending forever.
    xhr.onload = () => {
      try {
        const empty = xhr.status === 204 || xhr.status === 205 || xhr.status === 304;
        resolve(new Response(empty ? null : xhr.responseText, { status: xhr.status }));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    xhr.onerror = () => reject(new Error('network error'));
    xhr.onabort = () => reject(new Error('aborted'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}
