// The search index over real stores (SQLite and PostgreSQL): exact results against a brute-force
// reference on 10k random vectors, decrypting from the database, and invalidation by change notices.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectionIndex } from '../../src/collections/collection-index.js';
import { LocalCollectionEvents } from '../../src/collections/collection-events.js';
import { KeyWrap, sealEncoding } from '../../src/collections/template-crypto.js';
import type { CollectionStore } from '../../src/storage/collection-store.js';
import type { KeyStore } from '../../src/storage/key-store.js';
import { PostgresCollectionStore } from '../../src/storage/postgres-collection-store.js';
import { PostgresKeyStore } from '../../src/storage/postgres-key-store.js';
import { SqliteCollectionStore } from '../../src/storage/sqlite-collection-store.js';
import { openSqliteDatabase } from '../../src/storage/sqlite-database.js';
import { SqliteKeyStore } from '../../src/storage/sqlite-key-store.js';
import { createTestSchema } from '../support/postgres.js';

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

    it('drops its copy on a change notice and reads the store again', async () => {
      const events = new LocalCollectionEvents();
      const index = new CollectionIndex({ store: engine.store, keys: engine.keys, keyWrap, events });
      const probe = randomVector(next);
      const before = await index.search(collectionId, probe, 1, 4);
      const id = randomUUID();
      const { key } = keyWrap.unwrap(collectionId, (await engine.keys.get(collectionId))!);
      await engine.store.addFace({
        id,
        userId: 'u',
        collectionId,
        label: 'exact',
        externalId: null,
        sessionId: randomUUID(),
        imageId: randomUUID(),
        faceIndex: 0,
        sealed: sealEncoding(key, collectionId, id, probe),
        maxFaces: N + 1,
        now: N + 10,
      });
      // Still the cached copy until someone says it changed.
      expect((await index.search(collectionId, probe, 1, 4))[0]?.face.id).toBe(before[0]?.face.id);
      await events.publishChanged(collectionId);
      const after = await index.search(collectionId, probe, 1, 4);
      expect(after[0]).toMatchObject({ face: { id, label: 'exact' }, distance: 0 });
    });
  });
}
