// The search index over real stores (SQLite and PostgreSQL): exact results against a brute-force
// reference on 10k random vectors, decrypting from the database, and invalidation by change notices.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectionIndex } from '../../src/collections/collection-index.js';
import { Redis } from 'ioredis';
import { LocalCollectionEvents } from '../../src/collections/collection-events.js';
import { RedisCollectionEvents } from '../../src/collections/redis-collection-events.js';
import { KeyWrap, sealEncoding } from '../../src/collections/template-crypto.js';
import type { CollectionStore } from '../../src/storage/collection-store.js';
import type { KeyStore } from '../../src/storage/key-store.js';
import { PostgresCollectionStore } from '../../src/storage/postgres-collection-store.js';
import { PostgresKeyStore } from '../../src/storage/postgres-key-store.js';
import { SqliteCollectionStore } from '../../src/storage/sqlite-collection-store.js';
import { openSqliteDatabase } from '../../src/storage/sqlite-database.js';
import { SqliteKeyStore } from '../../src/storage/sqlite-key-store.js';
import { createTestSchema } from '../support/postgres.js';
import { REDIS_URL, testPrefix } from '../support/redis.js';

interface Engine {
  store: CollectionStore;
  keys: KeyStore;
  cleanup(): Promise<void>;
}

const engines: Record<string, () => Promise<Engine>> = {
  SQLite: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'face-encode-index-'));
    const db = openSqliteDatabase({ path: join(dir, 'face-encode.db') });
    const keys = new SqliteKeyStore({ path: join(dir, 'collection-keys.db') });
    return {
      store: new SqliteCollectionStore({ db }),
      keys,
      async cleanup() {
        await keys.close();
        db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  PostgreSQL: async () => {
    const schema = await createTestSchema({ migrate: true });
    return {
      store: new PostgresCollectionStore({ pool: schema.pool }),
      keys: new PostgresKeyStore({ pool: schema.pool }),
      cleanup: () => schema.drop(),
    };
  },
};

/** The store, counting the sealed rows (and queries) the index reads: a reload shows as N rows. */
function countingStore(store: CollectionStore) {
  const spy = { rows: 0, calls: 0, store };
  spy.store = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      if (property !== 'loadSealedFaces' && property !== 'getSealedFaces') return value.bind(target);
      return async (...args: unknown[]) => {
        const rows = (await value.apply(target, args)) as unknown[];
        spy.calls += 1;
        spy.rows += rows.length;
        return rows;
      };
    },
  });
  return spy;
}

/** A deterministic pseudo-random generator (mulberry32), so a failure repeats. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Vectors like encodings: components around ±0.1, so typical distances are near the threshold. */
const randomVector = (next: () => number) => Float32Array.from({ length: 128 }, () => (next() - 0.5) * 0.2);

function bruteForce(vectors: Float32Array[], probe: Float32Array, k: number, maxDistance: number) {
  return vectors
    .map((v, index) => ({ index, distance: Math.sqrt(v.reduce((s, x, d) => s + (x - probe[d]!) ** 2, 0)) }))
    .filter((r) => r.distance <= maxDistance)
    .sort((a, b) => a.distance - b.distance || a.index - b.index)
    .slice(0, k);
}

for (const [name, open] of Object.entries(engines)) {
  describe(`CollectionIndex on ${name}`, () => {
    const N = 10_000;
    const next = rng(17);
    const vectors = Array.from({ length: N }, () => randomVector(next));
    const keyWrap = new KeyWrap({ masterKey: randomBytes(32) });
    let engine: Engine;
    let collectionId: string;
    const faceIdOf = new Map<string, number>();

    beforeAll(async () => {
      engine = await open();
      collectionId = randomUUID();
      const { key, wrapped } = keyWrap.newDataKey(collectionId);
      await engine.keys.put(collectionId, wrapped);
      await engine.store.createCollection({ id: collectionId, userId: 'u', name: 'n', modelId: 'm', now: 1 });
      for (let i = 0; i < N; i++) {
        const id = randomUUID();
        faceIdOf.set(id, i);
        await engine.store.addFace({
          id,
          userId: 'u',
          collectionId,
          label: `person-${i}`,
          externalId: null,
          sessionId: randomUUID(),
          imageId: randomUUID(),
          faceIndex: 0,
          sealed: sealEncoding(key, collectionId, id, vectors[i]!),
          maxFaces: N,
          now: 2 + i,
        });
      }
    }, 600_000);
    afterAll(async () => {
      await engine.cleanup();
    });

    it('returns exactly the brute-force top k within max_distance, for 50 probes', async () => {
      const events = new LocalCollectionEvents();
      const index = new CollectionIndex({ store: engine.store, keys: engine.keys, keyWrap, events });
      for (let p = 0; p < 50; p++) {
        // Half the probes are near a stored vector (a match), half anywhere.
        const probe =
          p % 2 === 0
            ? vectors[Math.floor(next() * N)]!.map((x) => x + (next() - 0.5) * 0.02)
            : randomVector(next);
        const k = [1, 5, 100][p % 3]!;
        const maxDistance = p % 4 === 0 ? 0.6 : 4;
        const hits = await index.search(collectionId, probe, k, maxDistance);
        const expected = bruteForce(vectors, probe, k, maxDistance);
        expect(hits.map((h) => faceIdOf.get(h.face.id))).toEqual(expected.map((e) => e.index));
        hits.forEach((h, i) => expect(h.distance).toBeCloseTo(expected[i]!.distance, 6));
      }
    });

    /** Adds a face to the store only (no change announced); returns its id. */
    async function storeFace(encoding: Float32Array, label: string) {
      const id = randomUUID();
      const { key } = keyWrap.unwrap(collectionId, (await engine.keys.get(collectionId))!);
      await engine.store.addFace({
        id,
        userId: 'u',
        collectionId,
        label,
        externalId: null,
        sessionId: randomUUID(),
        imageId: randomUUID(),
        faceIndex: 0,
        sealed: sealEncoding(key, collectionId, id, encoding),
        maxFaces: N + 100,
        now: Date.now(),
      });
      return id;
    }
    const eraseFace = (id: string) => engine.store.deleteFace('u', collectionId, id);
    const nearest = async (index: CollectionIndex, probe: Float32Array) =>
      (await index.search(collectionId, probe, 1, 0.001))[0]?.face.id;

    it('loads page by page and applies an add and a delete as deltas, reading only the new row', async () => {
      const events = new LocalCollectionEvents();
      const spy = countingStore(engine.store);
      const index = new CollectionIndex({
        store: spy.store,
        keys: engine.keys,
        keyWrap,
        events,
        pageSize: 700,
      });
      const probe = randomVector(next);
      expect(await nearest(index, probe)).toBeUndefined();
      const loadedRows = spy.rows;
      expect(loadedRows).toBeGreaterThanOrEqual(N);
      expect(spy.calls).toBe(Math.ceil(loadedRows / 700) + (loadedRows % 700 === 0 ? 1 : 0));

      const id = await storeFace(probe, 'exact');
      // Still the cached copy until someone says it changed.
      expect(await nearest(index, probe)).toBeUndefined();
      await events.publish({ kind: 'faces-added', collectionId, faceIds: [id] });
      expect(await index.search(collectionId, probe, 1, 4)).toMatchObject([
        { face: { id, label: 'exact' }, distance: 0 },
      ]);
      expect(spy.rows - loadedRows).toBe(1);

      // A face from the middle of the matrix goes too (its row is refilled by the last one).
      const middle = [...faceIdOf.entries()][N / 2]!;
      expect(await nearest(index, vectors[middle[1]]!)).toBe(middle[0]);
      await eraseFace(id);
      await eraseFace(middle[0]);
      await events.publish({ kind: 'faces-removed', collectionId, faceIds: [id, middle[0]] });
      expect(await nearest(index, probe)).toBeUndefined();
      expect(await nearest(index, vectors[middle[1]]!)).toBeUndefined();
      faceIdOf.delete(middle[0]);
      expect(spy.rows - loadedRows).toBe(1);
      // The rest is still exact after the swap.
      for (const [faceId, i] of [...faceIdOf.entries()].slice(-5))
        expect(await nearest(index, vectors[i]!)).toBe(faceId);
    });

    it('applies a change that arrives while the collection is loading, after the load', async () => {
      const events = new LocalCollectionEvents();
      const index = new CollectionIndex({
        store: engine.store,
        keys: engine.keys,
        keyWrap,
        events,
        pageSize: 500,
      });
      const probe = randomVector(next);
      const loading = index.load(collectionId);
      const id = await storeFace(probe, 'during');
      await events.publish({ kind: 'faces-added', collectionId, faceIds: [id] });
      await loading;
      expect(await nearest(index, probe)).toBe(id);
      await eraseFace(id);
      const reloading = index.load(collectionId);
      await events.publish({ kind: 'faces-removed', collectionId, faceIds: [id] });
      await reloading;
      expect(await nearest(index, probe)).toBeUndefined();
    });

    it('keeps a peer process current through Redis: add and delete as deltas', async () => {
      const prefix = testPrefix();
      const onA = new RedisCollectionEvents({ url: REDIS_URL, prefix });
      const onB = new RedisCollectionEvents({ url: REDIS_URL, prefix });
      try {
        await Promise.all([onA.ready(), onB.ready()]);
        const spy = countingStore(engine.store);
        const a = new CollectionIndex({ store: engine.store, keys: engine.keys, keyWrap, events: onA });
        const b = new CollectionIndex({ store: spy.store, keys: engine.keys, keyWrap, events: onB });
        const probe = randomVector(next);
        expect(await nearest(a, probe)).toBeUndefined();
        expect(await nearest(b, probe)).toBeUndefined();
        const loadedRows = spy.rows;

        const id = await storeFace(probe, 'peer');
        await onA.publish({ kind: 'faces-added', collectionId, faceIds: [id] });
        expect(await nearest(a, probe)).toBe(id);
        await expect.poll(() => nearest(b, probe)).toBe(id);
        expect(spy.rows - loadedRows).toBe(1);

        await eraseFace(id);
        await onA.publish({ kind: 'faces-removed', collectionId, faceIds: [id] });
        expect(await nearest(a, probe)).toBeUndefined();
        await expect.poll(() => nearest(b, probe)).toBeUndefined();
        expect(spy.rows - loadedRows).toBe(1);
      } finally {
        await onA.close();
        await onB.close();
      }
    });

    it("reloads when it may have missed a change: a gap in a peer's numbers, or a peer met mid-sequence", async () => {
      const prefix = testPrefix();
      const channel = `${prefix}:collection-changes`;
      const onB = new RedisCollectionEvents({ url: REDIS_URL, prefix });
      const raw = new Redis(REDIS_URL);
      const send = (origin: string, seq: number) =>
        raw.publish(
          channel,
          JSON.stringify({ origin, seq, change: { kind: 'faces-removed', collectionId, faceIds: ['none'] } }),
        );
      try {
        await onB.ready();
        const spy = countingStore(engine.store);
        const b = new CollectionIndex({ store: spy.store, keys: engine.keys, keyWrap, events: onB });
        for (const [origin, seqs] of [
          ['peer-with-a-gap', [1, 2, 4]],
          ['peer-met-late', [9]],
        ] as const) {
          const probe = randomVector(next);
          expect(await nearest(b, probe)).toBeUndefined();
          for (const seq of seqs.slice(0, -1)) await send(origin, seq);
          // The change whose message B never got.
          const id = await storeFace(probe, 'missed');
          const before = spy.rows;
          await send(origin, seqs[seqs.length - 1]!);
          await expect.poll(() => nearest(b, probe)).toBe(id);
          expect(spy.rows - before).toBeGreaterThanOrEqual(N);
          await eraseFace(id);
        }
      } finally {
        raw.disconnect();
        await onB.close();
      }
    });
  });
}
