import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob-store.js';

export interface FsBlobStoreOptions {
  /** Folder of the blobs, e.g. `<dataDir>/blobs`; created when missing. */
  dir: string;
}

const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const TEMP = '.tmp';

/** Blobs as files. Writes go to a temp file, are fsynced, then renamed into place: all or nothing. */
export class FsBlobStore implements BlobStore {
  readonly #dir: string;

  constructor(options: FsBlobStoreOptions) {
    this.#dir = options.dir;
  }

  #path(key: string): string {
    // Keys are server-generated; anything else (traversal, absolute paths, dots) is a bug.
    if (!KEY.test(key)) throw new Error(`Invalid blob key: ${JSON.stringify(key)}`);
    return join(this.#dir, key);
  }

  async put(key: string, source: Readable | Uint8Array): Promise<{ sizeBytes: number }> {
    const target = this.#path(key);
    const tempDir = join(this.#dir, TEMP);
    await mkdir(tempDir, { recursive: true });
    const temp = join(tempDir, randomUUID());
    let size = 0;
    try {
      if (source instanceof Uint8Array) {
        // Bytes in hand: one write and an fsync on the same descriptor.
        const handle = await open(temp, 'wx', 0o600);
        try {
          await handle.writeFile(source);
          await handle.sync();
        } finally {
          await handle.close();
        }
        size = source.byteLength;
      } else {
        // Counting in the pipeline (not with a 'data' listener) keeps backpressure intact.
        const count = async function* (chunks: AsyncIterable<Uint8Array>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            yield chunk;
          }
        };
        // `flush` fsyncs the descriptor before it closes.
        await pipeline(source, count, createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true }));
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
      return { sizeBytes: size };
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.#path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async *list(): AsyncIterable<{ key: string; modifiedAt: number }> {
    let entries;
    try {
      entries = await readdir(this.#dir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const key = relative(this.#dir, join(entry.parentPath, entry.name)).split(sep).join('/');
      if (key.startsWith(`${TEMP}/`)) continue;
      const info = await stat(join(entry.parentPath, entry.name)).catch(() => null);
      if (info) yield { key, modifiedAt: info.mtimeMs };
    }
  }

  async sweepTemp(olderThanMs: number): Promise<number> {
    const tempDir = join(this.#dir, TEMP);
    let names: string[];
    try {
      names = await readdir(tempDir);
    } catch {
      return 0;
    }
    let removed = 0;
    const cutoff = Date.now() - olderThanMs;
    for (const name of names) {
      const path = join(tempDir, name);
      const info = await stat(path).catch(() => null);
      if (info && info.mtimeMs <= cutoff) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async ping(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    await stat(this.#dir);
  }

  async close(): Promise<void> {}
}
