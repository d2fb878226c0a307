import type { Readable } from 'node:stream';

/**
 * Raw image bytes. Adapters: `fs-blob-store.ts` (files under the data dir, written atomically with a
 * temp file and a rename); S3 slots in behind the same interface. All adapters pass
 * `test/storage/blob-store.conformance.ts`.
 */
export interface BlobStore {
  /** Streams `source` to `key` atomically: readers never see a partial blob; on error nothing is left. */
  put(key: string, source: Readable | Uint8Array): Promise<{ sizeBytes: number }>;
  get(key: string): Promise<Uint8Array | null>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every blob with when it was written, for orphan cleanup. */
  list(): AsyncIterable<{ key: string; modifiedAt: number }>;
  /** Removes temp files older than `olderThanMs` left by crashed writes; returns how many. */
  sweepTemp(olderThanMs: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * A URL a client can PUT exactly the declared bytes to, straight into `key` (direct uploads).
   * Only stores that can sign such URLs have it (S3); for the others the server is the target.
   */
  presignPut?(input: PresignPut): Promise<UploadTarget>;
}

export interface PresignPut {
  key: string;
  sizeBytes: number;
  contentType: string;
  /** Base64 MD5 of the bytes: the store refuses a body that does not match. */
  md5: string;
  expiresInSeconds: number;
}

/** Where and how a client sends a direct upload. */
export interface UploadTarget {
  method: 'PUT';
  url: string;
  /** To send exactly as given: they are part of the signature. */
  headers: Record<string, string>;
}
