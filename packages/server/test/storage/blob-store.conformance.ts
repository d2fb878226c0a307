// The behaviour every BlobStore adapter must have. The factory gives each test a fresh, empty store.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/storage/blob-store.js';

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
}

/** A stream that yields `chunks` and then fails (a client that disconnects mid-upload). */
export function failingStream(chunks: Uint8Array[]): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of chunks) yield chunk;
      throw new Error('client went away');
    })(),
  );
}

/** The listed keys, sorted. */
export async function collect(blobs: AsyncIterable<{ key: string }>): Promise<string[]> {
  const all: string[] = [];
  for await (const blob of blobs) all.push(blob.key);
  return all.sort();
}

export function blobStoreConformance(name: string, factory: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore conformance: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('stores bytes and reads them back', async () => {
      const bytes = randomBytes(1000);
      expect(await store.put('images/s1/i1', bytes)).toEqual({ sizeBytes: 1000 });
      expect(Buffer.from((await store.get('images/s1/i1')) ?? [])).toEqual(bytes);
    });

    it('streams a multi-chunk upload and counts its size', async () => {
      const chunks = Array.from({ length: 20 }, () => randomBytes(64 * 1024));
      expect(await store.put('images/s1/big', Readable.from(chunks))).toEqual({ sizeBytes: 20 * 64 * 1024 });
      // Buffer.equals, not toEqual: a deep compare of a megabyte is slow.
      expect(Buffer.from((await store.get('images/s1/big')) ?? []).equals(Buffer.concat(chunks))).toBe(true);
    });

    it('stores exactly the bytes of a view into a larger buffer, and an empty blob', async () => {
      const backing = randomBytes(300);
      const view = backing.subarray(100, 200);
      expect(await store.put('images/s1/view', view)).toEqual({ sizeBytes: 100 });
      expect(Buffer.from((await store.get('images/s1/view')) ?? []).equals(view)).toBe(true);
      expect(await store.put('images/s1/empty', new Uint8Array(0))).toEqual({ sizeBytes: 0 });
      expect((await store.get('images/s1/empty'))?.byteLength).toBe(0);
    });

    it('replaces a blob written again under the same key', async () => {
      await store.put('images/s1/i1', Buffer.from('first'));
      await store.put('images/s1/i1', Buffer.from('second'));
      expect(Buffer.from((await store.get('images/s1/i1')) ?? []).toString()).toBe('second');
    });

    it('returns null for a missing key and deletes idempotently', async () => {
      expect(await store.get('images/none')).toBeNull();
      await store.put('images/s1/i1', Buffer.from('x'));
      await store.delete('images/s1/i1');
      expect(await store.get('images/s1/i1')).toBeNull();
      await expect(store.delete('images/s1/i1')).resolves.toBeUndefined();
    });

    it('lists every key, nested or not', async () => {
      expect(await collect(store.list())).toEqual([]);
      await store.put('top', Buffer.from('1'));
      await store.put('images/s1/i1', Buffer.from('2'));
      await store.put('images/s2/i2', Buffer.from('3'));
      expect(await collect(store.list())).toEqual(['images/s1/i1', 'images/s2/i2', 'top']);
      await store.delete('top');
      expect(await collect(store.list())).toEqual(['images/s1/i1', 'images/s2/i2']);
    });

    it('lists when each blob was written', async () => {
      const before = Date.now();
      await store.put('images/s1/i1', Buffer.from('x'));
      const listed = [];
      for await (const blob of store.list()) listed.push(blob);
      expect(listed).toHaveLength(1);
      // Filesystem clocks may round; allow a couple of seconds either side.
      expect(listed[0]?.modifiedAt).toBeGreaterThan(before - 2000);
      expect(listed[0]?.modifiedAt).toBeLessThan(Date.now() + 2000);
    });

    it('leaves nothing behind when the source stream fails midway', async () => {
      await expect(
        store.put('images/s1/broken', failingStream([randomBytes(4096), randomBytes(4096)])),
      ).rejects.toThrow('client went away');
      expect(await store.get('images/s1/broken')).toBeNull();
      expect(await collect(store.list())).toEqual([]);
    });

    it('keeps the previous blob when a replacement fails midway', async () => {
      await store.put('images/s1/i1', Buffer.from('good'));
      await expect(store.put('images/s1/i1', failingStream([Buffer.from('bad')]))).rejects.toThrow();
      expect(Buffer.from((await store.get('images/s1/i1')) ?? []).toString()).toBe('good');
    });

    it('leaves nothing behind when the source is destroyed', async () => {
      const source = new Readable({ read() {} });
      source.push(randomBytes(1024));
      const pending = store.put('images/s1/aborted', source);
      setImmediate(() => source.destroy());
      await expect(pending).rejects.toThrow();
      expect(await store.get('images/s1/aborted')).toBeNull();
      expect(await collect(store.list())).toEqual([]);
    });

    it('rejects keys that could escape or are not server-generated', async () => {
      for (const key of [
        '../escape',
        'images/../../etc/passwd',
        '/etc/passwd',
        'a/./b',
        '.tmp/x',
        'a\\b',
        '',
        'a//b',
        'a/',
        'é',
      ]) {
        await expect(store.put(key, Buffer.from('x')), key).rejects.toThrow();
        await expect(store.get(key), key).rejects.toThrow();
        await expect(store.delete(key), key).rejects.toThrow();
      }
      expect(await collect(store.list())).toEqual([]);
    });

    it('sweeps nothing fresh and answers ping', async () => {
      await store.put('images/s1/i1', Buffer.from('x'));
      expect(await store.sweepTemp(60_000)).toBe(0);
      expect(await store.get('images/s1/i1')).not.toBeNull();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
