import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';
import { blobStoreConformance, collect, failingStream } from './blob-store.conformance.js';

blobStoreConformance('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'face-encode-blobs-'));
  const store = new FsBlobStore({ dir: join(dir, 'blobs') });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('FsBlobStore specifics', () => {
  let root: string;
  let dir: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'face-encode-blobs-'));
    dir = join(root, 'blobs');
    store = new FsBlobStore({ dir });
  });
  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  const tempFiles = async () => readdir(join(dir, '.tmp')).catch(() => [] as string[]);

  it('maps keys to files under its folder and leaves no temp file', async () => {
    await store.put('images/s1/i1', Buffer.from('bytes'));
    expect(await readdir(join(dir, 'images', 's1'))).toEqual(['i1']);
    expect(await tempFiles()).toEqual([]);
  });

  it('deletes the temp file when the stream fails midway', async () => {
    await expect(store.put('images/s1/broken', failingStream([Buffer.alloc(8192)]))).rejects.toThrow();
    expect(await tempFiles()).toEqual([]);
    expect(await readdir(dir)).toEqual(['.tmp']);
  });

  it('sweeps temp files older than the threshold, never blobs, and does not list them', async () => {
    await store.put('images/s1/i1', Buffer.from('kept'));
    await mkdir(join(dir, '.tmp'), { recursive: true });
    await writeFile(join(dir, '.tmp', 'crashed-old'), 'partial');
    await writeFile(join(dir, '.tmp', 'in-progress'), 'partial');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, '.tmp', 'crashed-old'), anHourAgo, anHourAgo);

    expect(await collect(store.list())).toEqual(['images/s1/i1']);
    expect(await store.sweepTemp(60_000)).toBe(1);
    expect(await tempFiles()).toEqual(['in-progress']);
    expect(await store.get('images/s1/i1')).not.toBeNull();
  });

  it('works on a folder that does not exist yet', async () => {
    expect(await collect(store.list())).toEqual([]);
    expect(await store.sweepTemp(0)).toBe(0);
    await store.ping();
  });
});
