// The behaviour every CollectionStore adapter must have. An adapter's test file calls
// `collectionStoreConformance(name, factory)`; the factory gives each test a fresh, empty store.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectionStore, NewCollectionFace, PageQuery } from '../../src/storage/collection-store.js';

export interface CollectionStoreFixture {
  store: CollectionStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const MODEL_ID = 'face-api/ssd_mobilenetv1+landmark68+resnet34';

export async function newCollection(store: CollectionStore, userId = 'user-a', now = T0) {
  return store.createCollection({ id: randomUUID(), userId, name: 'people', modelId: MODEL_ID, now });
}

export function newFace(collectionId: string, overrides: Partial<NewCollectionFace> = {}): NewCollectionFace {
  return {
    id: randomUUID(),
    userId: 'user-a',
    collectionId,
    label: 'Ada',
    externalId: 'ext-1',
    sessionId: randomUUID(),
    imageId: randomUUID(),
    faceIndex: 0,
    sealed: Buffer.from([1, 2, 3, 250]),
    maxFaces: 100,
    now: T0 + 1000,
    ...overrides,
  };
}

/** Follows the keyset cursor from the first page to the last, `limit` rows at a time. */
async function everyPage<T extends { createdAt: number; id: string }>(
  limit: number,
  read: (page: PageQuery) => Promise<T[]>,
): Promise<T[]> {
  const seen: T[] = [];
  let cursor: PageQuery['cursor'] = null;
  for (;;) {
    const page = await read({ limit, cursor });
    seen.push(...page);
    const last = page[page.length - 1];
    if (page.length < limit || !last) return seen;
    cursor = { createdAt: last.createdAt, id: last.id };
  }
}

export function collectionStoreConformance(name: string, factory: () => Promise<CollectionStoreFixture>) {
  describe(`CollectionStore conformance: ${name}`, () => {
    let fixture: CollectionStoreFixture;
    let store: CollectionStore;
    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('creates, reads and deletes a collection; another user sees none of it', async () => {
      const c = await newCollection(store);
      expect(c).toMatchObject({
        userId: 'user-a',
        name: 'people',
        modelId: MODEL_ID,
        faceCount: 0,
        createdAt: T0,
      });
      expect(await store.getCollection('user-a', c.id)).toEqual(c);
      expect(await store.getCollection('user-b', c.id)).toBeNull();
      expect(await store.listCollections('user-b', { limit: 10, cursor: null })).toEqual([]);
      expect(await store.deleteCollection('user-b', c.id)).toBe(false);
      expect(await store.deleteCollection('user-a', c.id)).toBe(true);
      expect(await store.getCollection('user-a', c.id)).toBeNull();
      expect(await store.deleteCollection('user-a', c.id)).toBe(false);
    });

    it('pages collections newest first with a keyset cursor', async () => {
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await newCollection(store, 'user-a', T0 + (i % 3) * 1000));
      const expected = [...made]
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map((c) => c.id);
      const seen = await everyPage(2, (page) => store.listCollections('user-a', page));
      expect(seen.map((c) => c.id)).toEqual(expected);
    });

    it('adds, lists, loads and deletes faces, counting them, owner-checked', async () => {
      const c = await newCollection(store);
      const a = await store.addFace(newFace(c.id, { now: T0 + 1 }));
      const b = await store.addFace(
        newFace(c.id, { now: T0 + 2, label: null, externalId: null, faceIndex: 2 }),
      );
      expect(a.ok && b.ok).toBe(true);
      expect(await store.addFace(newFace(c.id, { userId: 'user-b' }))).toEqual({
        ok: false,
        reason: 'collection_not_found',
      });
      expect((await store.getCollection('user-a', c.id))?.faceCount).toBe(2);
      const listed = await store.listFaces('user-a', c.id, { limit: 10, cursor: null });
      expect(listed?.map((f) => f.createdAt)).toEqual([T0 + 2, T0 + 1]);
      expect(listed?.[0]).toMatchObject({ label: null, externalId: null, faceIndex: 2, collectionId: c.id });
      expect(listed?.[0]).not.toHaveProperty('sealed');
      expect(await store.listFaces('user-b', c.id, { limit: 10, cursor: null })).toBeNull();

      const sealed = await store.loadSealedFaces(c.id, { limit: 10, cursor: null });
      expect(sealed).toHaveLength(2);
      expect(sealed.every((f) => Buffer.from(f.sealed).equals(Buffer.from([1, 2, 3, 250])))).toBe(true);

      const faceId = listed![0]!.id;
      expect(await store.deleteFace('user-b', c.id, faceId)).toBe(false);
      expect(await store.deleteFace('user-a', c.id, faceId)).toBe(true);
      expect(await store.deleteFace('user-a', c.id, faceId)).toBe(false);
      expect((await store.getCollection('user-a', c.id))?.faceCount).toBe(1);
    });

    it('refuses a face past maxFaces, even when added in parallel', async () => {
      const c = await newCollection(store);
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.addFace(newFace(c.id, { maxFaces: 3 }))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(3);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'collection_full')).toBe(true);
      expect((await store.getCollection('user-a', c.id))?.faceCount).toBe(3);
    });

    it('erases every face with its collection', async () => {
      const c = await newCollection(store);
      const kept = await newCollection(store);
      for (let i = 0; i < 3; i++) await store.addFace(newFace(c.id));
      await store.addFace(newFace(kept.id));
      await store.deleteCollection('user-a', c.id);
      const all = { limit: 10, cursor: null };
      expect(await store.loadSealedFaces(c.id, all)).toEqual([]);
      expect(await store.loadSealedFaces(kept.id, all)).toHaveLength(1);
    });

    it('loads sealed faces a page at a time, newest first, each exactly once', async () => {
      const c = await newCollection(store);
      const added = [];
      for (let i = 0; i < 7; i++) {
        // Equal timestamps too: the id breaks the tie, so no face is skipped or read twice.
        const face = newFace(c.id, { now: T0 + (i % 3), sealed: Buffer.from([i]) });
        added.push(face);
        await store.addFace(face);
      }
      await store.addFace(newFace((await newCollection(store)).id));
      const expected = [...added]
        .sort((a, b) => b.now - a.now || (a.id < b.id ? 1 : -1))
        .map((f) => [f.id, f.sealed[0]]);
      const seen = await everyPage(3, (page) => store.loadSealedFaces(c.id, page));
      expect(seen.map((f) => [f.id, f.sealed[0]])).toEqual(expected);
    });

    it('gets the sealed faces of given ids that are still in the collection', async () => {
      const c = await newCollection(store);
      const other = await newCollection(store);
      const [a, b, gone] = [newFace(c.id, { label: 'a' }), newFace(c.id, { label: 'b' }), newFace(c.id)];
      const elsewhere = newFace(other.id);
      for (const f of [a, b, gone, elsewhere]) await store.addFace(f);
      await store.deleteFace('user-a', c.id, gone.id);
      const got = await store.getSealedFaces(c.id, [b.id, gone.id, elsewhere.id, a.id, 'no-such-face']);
      expect(got.map((f) => f.id).sort()).toEqual([a.id, b.id].sort());
      expect(got.find((f) => f.id === a.id)).toMatchObject({
        collectionId: c.id,
        label: 'a',
        sealed: Buffer.from([1, 2, 3, 250]),
      });
      expect(await store.getSealedFaces(c.id, [])).toEqual([]);
    });
  });
}
