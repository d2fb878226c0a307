import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where blobs live, as chosen by `--blob-url` / `FACE_ENCODE_BLOB_URL`. */
export type BlobLocation =
  | { kind: 'file'; /** Absolute folder of the blobs. */ dir: string }
  | {
      kind: 's3';
      bucket: string;
      /** Folder-like key prefix without leading or trailing slash; '' for the bucket root. */
      prefix: string;
    };

const ACCEPTED = 'accepted: file:///absolute/dir or s3://bucket[/prefix]';
// The S3 bucket naming rule shared by AWS, MinIO, Ceph RGW and R2.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Prefix segments stay in a portable, URL-safe set so keys never need escaping anywhere.
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Parses a blob URL; throws an Error with one line that says what was wrong and what is accepted. */
export function parseBlobUrl(url: string): BlobLocation {
  const fail = (why: string): never => {
    throw new Error(`Invalid blob URL ${JSON.stringify(redact(url))}: ${why}; ${ACCEPTED}`);
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('not a URL');
  }
  if (parsed.search || parsed.hash) fail('query strings and fragments are not supported');

  if (parsed.protocol === 'file:') {
    // `file:relative` parses as `file:///relative`; insist on the explicit form so nothing is guessed.
    if (!/^file:\/\//i.test(url)) fail('a file URL needs three slashes and an absolute path');
    let dir: string;
    try {
      dir = fileURLToPath(parsed);
    } catch {
      return fail('a file URL must name a local absolute path (no host)');
    }
    if (!isAbsolute(dir)) fail('a file URL must name an absolute path');
    // A trailing slash would make the same folder look like two settings.
    return { kind: 'file', dir: dir.length > 1 ? dir.replace(/\/+$/, '') : dir };
  }

  if (parsed.protocol === 's3:') {
    if (parsed.username || parsed.password) {
      fail('credentials do not belong in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    }
    if (parsed.port) fail('an s3 URL has no port; set the S3 endpoint instead');
    const bucket = parsed.hostname;
    if (!BUCKET.test(bucket)) fail('the bucket must be 3-63 lowercase letters, digits, dots or hyphens');
    const path = parsed.pathname.replace(/^\/+|\/+$/g, '');
    if (path === '') return { kind: 's3', bucket, prefix: '' };
    const segments = path.split('/').map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return '';
      }
    });
    if (segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
      fail('prefix segments must be letters, digits, ".", "_" or "-" (no empty, "." or ".." segments)');
    }
    return { kind: 's3', bucket, prefix: segments.join('/') };
  }

  return fail(`unsupported scheme ${JSON.stringify(parsed.protocol)}`);
}

/** The URL with any password hidden, for error messages that end up in logs. */
function redact(url: string): string {
  return url.replace(/\/\/([^/@]*):[^/@]*@/, '//$1:***@');
}
