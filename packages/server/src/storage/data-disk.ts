import { open, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isStorageFull } from '../errors/storage-full.js';

export interface DataDiskOptions {
  /** Local folders the data lives in (the SQLite file's, the blobs'); the first holds the reserve. */
  dirs: string[];
  /** Free bytes below which the disk is reported not ready. Default 64 MiB. */
  minFreeBytes?: number;
  /** Bytes kept in a reserve file, given up so a delete can run on a full disk. Default 16 MiB. */
  reserveBytes?: number;
}

/**
 * The local disk under the data: its free-space readiness check, and a reserve file. A full disk
 * must not stop users from deleting (SQLite needs a few pages of journal to delete rows), so a
 * delete that fails for space frees the reserve and runs again; the reserve is put back later.
 */
export class DataDisk {
  readonly #dirs: string[];
  readonly #minFree: number;
  readonly #reserveBytes: number;
  readonly #reservePath: string;

  constructor(options: DataDiskOptions) {
    this.#dirs = options.dirs;
    this.#minFree = options.minFreeBytes ?? 64 * 2 ** 20;
    this.#reserveBytes = options.reserveBytes ?? 16 * 2 ** 20;
    this.#reservePath = join(options.dirs[0] ?? '.', 'space-reserve');
  }

  /** Readiness: rejects when a data folder's disk has less than the minimum free. */
  async check(): Promise<void> {
    for (const dir of this.#dirs) {
      const fs = await statfsNearest(dir);
      const free = Number(fs.bavail) * Number(fs.bsize);
      if (free < this.#minFree) {
        throw new Error(
          `${Math.floor(free / 2 ** 20)} MiB free under ${dir}, below ${this.#minFree / 2 ** 20} MiB`,
        );
      }
    }
  }

  /** Creates the reserve file, or tops it up; a disk too full to hold it is left as it is. */
  async ensureReserve(): Promise<void> {
    if (this.#reserveBytes <= 0 || this.#dirs.length === 0) return;
    const size = await stat(this.#reservePath).then(
      (s) => s.size,
      () => 0,
    );
    if (size >= this.#reserveBytes) return;
    const handle = await open(this.#reservePath, 'a', 0o600);
    try {
      // Written, not sparse, so the blocks are really taken.
      await handle.write(Buffer.alloc(this.#reserveBytes - size));
      await handle.sync();
    } catch (error) {
      if (!isStorageFull(error)) throw error;
      await handle.truncate(0).catch(() => {});
    } finally {
      await handle.close();
    }
  }

  /** Runs `task`; when it fails for space and the reserve is there, frees the reserve and runs it again. */
  async withReserve<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } catch (error) {
      if (!isStorageFull(error) || !(await this.#releaseReserve())) throw error;
      const value = await task();
      void this.ensureReserve().catch(() => {});
      return value;
    }
  }

  async #releaseReserve(): Promise<boolean> {
    const size = await stat(this.#reservePath).then(
      (s) => s.size,
      () => 0,
    );
    if (size === 0) return false;
    await rm(this.#reservePath, { force: true });
    return true;
  }
}

/** statfs of `dir`, or of its nearest existing parent while it has not been created yet. */
async function statfsNearest(dir: string): ReturnType<typeof statfs> {
  try {
    return await statfs(dir);
  } catch (error) {
    const parent = dirname(dir);
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw error;
    return statfsNearest(parent);
  }
}
