// The 1:N half of `pnpm test:accuracy`: every photo goes into one collection (sealed in a real
// SQLite store, searched through the real CollectionIndex), then each photo in turn is the probe,
// leave-one-out: its own face is erased from the collection (a delta), the probe searched, and the
// face added back (a delta). The other photos of the same person must come back within the
// threshold, and no one else's.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCollectionEvents } from './collections/collection-events.js';
import { CollectionIndex } from './collections/collection-index.js';
import { KeyWrap, sealEncoding } from './collections/template-crypto.js';
import type { NewCollectionFace } from './storage/collection-store.js';
import { SqliteCollectionStore } from './storage/sqlite-collection-store.js';
import { openSqliteDatabase } from './storage/sqlite-database.js';
import { SqliteKeyStore } from './storage/sqlite-key-store.js';

export interface LabelledPhoto {
  person: string;
  file: string;
  encoding: number[];
}

export interface SearchAccuracy {
  probes: number;
  /** Same-person faces expected back, and how many came back within the threshold. */
  expected: number;
  hits: number;
  /** Other people's faces that came back within the threshold. */
  falseMatches: number;
  /** Farthest same-person face found, and nearest other person's face at any distance. */
  farthestHit: number;
  nearestOther: number;
}

const USER = 'accuracy';

export async function searchAccuracy(photos: LabelledPhoto[], threshold: number): Promise<SearchAccuracy> {
  const dir = mkdtempSync(join(tmpdir(), 'face-encode-accuracy-'));
  const db = openSqliteDatabase({ path: join(dir, 'face-encode.db') });
  const keys = new SqliteKeyStore({ path: join(dir, 'collection-keys.db') });
  try {
    const store = new SqliteCollectionStore({ db });
    const keyWrap = new KeyWrap({ masterKey: randomBytes(32) });
    const events = new LocalCollectionEvents();
    const index = new CollectionIndex({ store, keys, keyWrap, events });
    const collectionId = randomUUID();
    const { key, wrapped } = keyWrap.newDataKey(collectionId);
    await keys.put(collectionId, wrapped);
    await store.createCollection({ id: collectionId, userId: USER, name: 'people', modelId: 'm', now: 0 });
    const faces: NewCollectionFace[] = photos.map((p, i) => {
      const id = randomUUID();
      return {
        id,
        userId: USER,
        collectionId,
        label: p.person,
        externalId: p.file,
        sessionId: randomUUID(),
        imageId: randomUUID(),
        faceIndex: 0,
        sealed: sealEncoding(key, collectionId, id, p.encoding),
        maxFaces: photos.length,
        now: i,
      };
    });
    for (const face of faces) await store.addFace(face);

    const result: SearchAccuracy = {
      probes: 0,
      expected: 0,
      hits: 0,
      falseMatches: 0,
      farthestHit: 0,
      nearestOther: Infinity,
    };
    for (const [i, probe] of photos.entries()) {
      const own = faces[i]!;
      await store.deleteFace(USER, collectionId, own.id);
      await events.publish({ kind: 'faces-removed', collectionId, faceIds: [own.id] });
      const all = await index.search(collectionId, Float32Array.from(probe.encoding), 100, Infinity);
      await store.addFace(own);
      await events.publish({ kind: 'faces-added', collectionId, faceIds: [own.id] });

      const within = all.filter((h) => h.distance <= threshold);
      const expected = photos.filter((p, j) => j !== i && p.person === probe.person).length;
      const hits = within.filter((h) => h.face.label === probe.person);
      const others = within.filter((h) => h.face.label !== probe.person);
      const nearestOther = all.find((h) => h.face.label !== probe.person);
      result.probes++;
      result.expected += expected;
      result.hits += hits.length;
      result.falseMatches += others.length;
      for (const h of hits) result.farthestHit = Math.max(result.farthestHit, h.distance);
      if (nearestOther) result.nearestOther = Math.min(result.nearestOther, nearestOther.distance);
      const found = hits.map((h) => `${h.face.externalId} ${h.distance.toFixed(3)}`).join(', ') || 'none';
      const mark = hits.length === expected && others.length === 0 ? '✓' : '✗';
      console.log(
        `  search ${probe.person}/${probe.file}: ${hits.length}/${expected} found (${found}); ` +
          `${others.length} others within ${threshold}, nearest other ${nearestOther?.distance.toFixed(3) ?? '-'} ${mark}`,
      );
      for (const h of others)
        console.log(`    false match: ${h.face.label}/${h.face.externalId} = ${h.distance.toFixed(3)}`);
    }
    return result;
  } finally {
    await keys.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
