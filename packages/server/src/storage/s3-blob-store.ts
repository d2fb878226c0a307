import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BlobStore, PresignPut, UploadTarget } from './blob-store.js';

export interface S3BlobStoreOptions {
  /** Bucket holding the blobs; it must exist (`ping` checks). No default. */
  bucket: string;
  /** Folder-like key prefix: blobs live at `<prefix>/<key>`. Default '' (the bucket root). */
  prefix?: string;
  /** A ready S3Client (custom credentials, tests); used as is and not destroyed by `close`. Default: one built from the fields below. */
  client?: S3Client;
  /** Endpoint of an S3-compatible service, e.g. `http://127.0.0.1:9000` for MinIO. Default: AWS S3 for the region. */
  endpoint?: string;
  /** Signing region. Default: `AWS_REGION`, else 'us-east-1' (what MinIO and Ceph RGW expect; R2 takes it as 'auto'). */
  region?: string;
  /** Bucket name in the path, not the host name. Default: true when `endpoint` is set (self-hosted stores rarely have wildcard DNS), else false. */
  forcePathStyle?: boolean;
  /** Keys per ListObjectsV2 / ListMultipartUploads page. Default 1000, the S3 maximum. */
  listPageSize?: number;
}

/** An S3 request that failed, with the S3 error code kept apart from the (often empty) message. */
export class S3BlobStoreError extends Error {
  override readonly name = 'S3BlobStoreError';
  constructor(
    message: string,
    /** The S3 error code, e.g. `BadDigest`, `SignatureDoesNotMatch`, `NotFound`. */
    readonly code: string,
    /** The HTTP status, when there was a response. */
    readonly status: number | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

// The same rule as FsBlobStore: keys are server-generated, so anything else is a bug, refused alike everywhere.
const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Blobs as S3 objects, for AWS S3, MinIO, Ceph RGW and R2. Each put is one PutObject, which S3 makes
 * visible all at once or not at all; it carries Content-MD5 and x-amz-checksum-sha256 of the bytes, so
 * the store refuses a body that changed on the way (every S3 checks Content-MD5; AWS, MinIO, R2 and
 * RGW from Squid on check the SHA-256 too).
 */
export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #bucket: string;
  /** '' or the prefix followed by '/'. */
  readonly #keyPrefix: string;
  readonly #pageSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.#bucket = options.bucket;
    this.#keyPrefix = normalizePrefix(options.prefix ?? '');
    this.#pageSize = options.listPageSize ?? 1000;
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1 || this.#pageSize > 1000) {
      throw new Error(`listPageSize must be an integer from 1 to 1000, not ${options.listPageSize}`);
    }
    if (options.client) {
      if (
        options.endpoint !== undefined ||
        options.region !== undefined ||
        options.forcePathStyle !== undefined
      ) {
        throw new Error('Pass either an S3 client or endpoint/region/forcePathStyle, not both');
      }
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      this.#client = new S3Client({
        endpoint: options.endpoint,
        region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
        forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
        // Recent SDKs add CRC32 checksums (aws-chunked bodies, x-amz-checksum-mode on reads) by default,
        // which several S3-compatibles reject or answer inconsistently. We send our own checksums instead.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // On AWS a bucket in another region answers 301; follow it rather than fail on a region typo.
        followRegionRedirects: true,
      });
      this.#ownsClient = true;
    }
  }

  #key(key: string): string {
    if (!KEY.test(key)) throw new Error(`Invalid blob key: ${JSON.stringify(key)}`);
    return this.#keyPrefix + key;
  }

  #fail(operation: string, key: string | undefined, error: unknown): S3BlobStoreError {
    const { code, status } = s3ErrorInfo(error);
    const where = `s3://${this.#bucket}${key === undefined ? '' : `/${key}`}`;
    const detail =
      error instanceof Error && error.message && error.message !== 'UnknownError' ? `: ${error.message}` : '';
    return new S3BlobStoreError(
      `S3 ${operation} ${where} failed: ${code}${status ? ` (HTTP ${status})` : ''}${detail}`,
      code,
      status,
      { cause: error },
    );
  }

  async put(key: string, source: Readable | Uint8Array): Promise<{ sizeBytes: number }> {
    const objectKey = this.#key(key);
    // PutObject needs the length and the checksums up front, and images are at most a few MiB, so a stream
    // is read to the end first. A stream that fails fails here, before any request: nothing is written.
    const body = source instanceof Uint8Array ? source : await readAll(source);
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: objectKey,
          Body: body,
          ContentLength: body.byteLength,
          ContentMD5: createHash('md5').update(body).digest('base64'),
          ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
        }),
      );
    } catch (error) {
      throw this.#fail('PutObject', objectKey, error);
    }
    return { sizeBytes: body.byteLength };
  }

  async get(key: string): Promise<Uint8Array | null> {
    const objectKey = this.#key(key);
    try {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
      if (!object.Body) throw new Error('GetObject returned no body');
      return await object.Body.transformToByteArray();
    } catch (error) {
      if (s3ErrorInfo(error).code === 'NoSuchKey') return null;
      throw this.#fail('GetObject', objectKey, error);
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.#key(key);
    try {
      // S3 answers 204 for a missing key too, so deleting twice is fine.
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
    } catch (error) {
      throw this.#fail('DeleteObject', objectKey, error);
    }
  }

  async *list(): AsyncIterable<{ key: string; modifiedAt: number }> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#keyPrefix || undefined,
            MaxKeys: this.#pageSize,
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw this.#fail('ListObjectsV2', this.#keyPrefix || undefined, error);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.#keyPrefix.length);
        // Objects this store could not have written (other tools' files in a shared bucket) are not reported:
        // cleanup deletes listed blobs that have no row, and those are not ours to delete.
        if (key === undefined || !KEY.test(key)) continue;
        // An unknown age must not look old, or cleanup could delete a blob that is still being recorded.
        yield { key, modifiedAt: object.LastModified?.getTime() ?? Date.now() };
      }
      if (page.IsTruncated && !page.NextContinuationToken) {
        throw new Error(`S3 ListObjectsV2 s3://${this.#bucket} is truncated but gave no continuation token`);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * `put` never uses multipart (one PutObject per blob), so this store leaves no partial writes of its own.
   * Incomplete multipart uploads under the prefix (another tool's crashed copy, say) are invisible to
   * `list` yet stored and billed until aborted, so the sweep aborts those older than `olderThanMs`.
   */
  async sweepTemp(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.#bucket,
            Prefix: this.#keyPrefix || undefined,
            MaxUploads: this.#pageSize,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
      } catch (error) {
        // A store without multipart support cannot hold incomplete uploads either.
        if (s3ErrorInfo(error).code === 'NotImplemented') return 0;
        throw this.#fail('ListMultipartUploads', this.#keyPrefix || undefined, error);
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated.getTime() > cutoff)
          continue;
        try {
          await this.#client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.#bucket,
              Key: upload.Key,
              UploadId: upload.UploadId,
            }),
          );
          aborted++;
        } catch (error) {
          // Another process's sweep got there first.
          if (s3ErrorInfo(error).code === 'NoSuchUpload') continue;
          throw this.#fail('AbortMultipartUpload', upload.Key, error);
        }
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return aborted;
  }

  /**
   * A presigned PutObject that binds the length, Content-Type, Content-MD5 and `If-None-Match: *`.
   * Each is a signed header, so a client that leaves one out or changes it gets 403; with them, the
   * store refuses a body that does not match the MD5 (400 BadDigest) and a second write to the key
   * (412). Content-MD5, not x-amz-checksum-sha256: radosgw (Ceph) accepts a presigned PUT whose body
   * does not match a signed SHA-256 checksum, while every S3 checks Content-MD5.
   */
  async presignPut(input: PresignPut): Promise<UploadTarget> {
    const headers = {
      'content-type': input.contentType,
      'content-md5': input.md5,
      'if-none-match': '*',
    };
    const url = await getSignedUrl(
      this.#client,
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: this.#key(input.key),
        ContentLength: input.sizeBytes,
        ContentType: input.contentType,
        ContentMD5: input.md5,
        IfNoneMatch: '*',
      }),
      {
        expiresIn: input.expiresInSeconds,
        signableHeaders: new Set(['content-length', ...Object.keys(headers)]),
      },
    );
    return { method: 'PUT', url, headers };
  }

  async ping(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      throw this.#fail('HeadBucket', undefined, error);
    }
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  const segments = trimmed.split('/');
  if (segments.some((s) => !PREFIX_SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new Error(
      `Invalid S3 key prefix ${JSON.stringify(prefix)}: use segments of letters, digits, ".", "_" or "-"`,
    );
  }
  return `${trimmed}/`;
}

/** The S3 error code and HTTP status of an SDK error (its `name` is the code), or of anything else thrown. */
function s3ErrorInfo(error: unknown): { code: string; status: number | undefined } {
  if (error instanceof Error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { code: error.name, status };
  }
  return { code: String(error), status: undefined };
}

async function readAll(source: Readable): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  // Async iteration rejects on a stream error and on a destroy without one (premature close).
  for await (const chunk of source) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}
