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
}
