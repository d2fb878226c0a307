// Collections over real HTTP on the embedded engines (SQLite): real inference, ownership, search by
// selfie and by encoding, erasure with crypto-shredding.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyWrap, openEncoding, parseMasterKey } from '../../src/collections/template-crypto.js';
import { SqliteKeyStore } from '../../src/storage/sqlite-key-store.js';
import { FaceApiEncoder } from '../../src/encoder/faceapi-encoder.js';
import { cropFace, sample } from '../encoder/sample-images.js';
import { caller, encodedSession, TEST_MASTER_KEY, type Json } from '../support/collections.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let alice: ReturnType<typeof caller>;
let bob: ReturnType<typeof caller>;
let session: Json;
let probeOfFirst: Buffer; // another crop of the largest face of sample 1

beforeAll(async () => {
  server = await startTestServer({ workers: 1, masterKey: TEST_MASTER_KEY });
  alice = caller(server, 'alice');
  bob = caller(server, 'bob');
  session = await encodedSession(server, 'alice');
  const faces = (await new FaceApiEncoder().encode(sample(1))).faces;
  probeOfFirst = await cropFace(sample(1), faces[0]!.box, 300, 0.9);
}, 180_000);
afterAll(async () => {
  await server?.dispose();
});

async function collectionWithFaces(name: string): Promise<{ id: string; faces: Json[] }> {
  const created = await alice('POST', '/v1/collections', { name });
  expect(created.status).toBe(201);
  const id = created.body.collection_id as string;
  const image = session.images[0] as Json;
  const faces: Json[] = [];
  for (let i = 0; i < image.faces.length; i++) {
    const added = await alice('POST', `/v1/collections/${id}/faces`, {
      session_id: session.session_id,
      image_id: image.image_id,
      face_index: i,
      label: `person-${i}`,
      external_id: `ext-${i}`,
    });
    expect(added.status).toBe(201);
    faces.push(added.body);
  }
  return { id, faces };
}

describe('collections', () => {
  it('creates, lists (paged), reads and erases collections and faces with documented shapes', async () => {
    const { id, faces } = await collectionWithFaces('people');
    expect(faces.length).toBeGreaterThanOrEqual(3);
    expect(faces[0]).toMatchObject({
      collection_id: id,
      label: 'person-0',
      external_id: 'ext-0',
      face_index: 0,
    });
    const read = await alice('GET', `/v1/collections/${id}`);
    expect(read.body).toMatchObject({ collection_id: id, name: 'people', face_count: faces.length });
    expect(read.body.model).toBe(session.summary.model?.id ?? read.body.model);

    const seen: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await alice(
        'GET',
        `/v1/collections/${id}/faces?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      for (const f of page.body.items) expect(f).not.toHaveProperty('encoding');
      seen.push(...page.body.items.map((f: Json) => f.face_id));
      if (!page.body.next_cursor) break;
      cursor = page.body.next_cursor;
    }
    expect(seen.sort()).toEqual(faces.map((f) => f.face_id).sort());

    const listed = await alice('GET', '/v1/collections?limit=100');
    expect(listed.body.items.map((c: Json) => c.collection_id)).toContain(id);

    expect((await alice('DELETE', `/v1/collections/${id}/faces/${faces[0]!.face_id}`)).status).toBe(204);
    expect((await alice('DELETE', `/v1/collections/${id}/faces/${faces[0]!.face_id}`)).body.code).toBe(
      'collection_face_not_found',
    );
    expect((await alice('GET', `/v1/collections/${id}`)).body.face_count).toBe(faces.length - 1);
    expect((await alice('DELETE', `/v1/collections/${id}`)).status).toBe(204);
    expect((await alice('GET', `/v1/collections/${id}`)).body.code).toBe('collection_not_found');
  });

  it('finds the person of a selfie (largest face) and ranks the others farther; the probe is not kept', async () => {
    const { id, faces } = await collectionWithFaces('search');
    const found = await alice(
      'POST',
      `/v1/collections/${id}/search?k=100&max_distance=4`,
      imageForm(probeOfFirst),
    );
    expect(found.status).toBe(200);
    expect(found.body.threshold).toBe(0.6);
    expect(found.body.matches[0]).toMatchObject({
      face_id: faces[0]!.face_id,
      label: 'person-0',
      external_id: 'ext-0',
      session_id: session.session_id,
      image_id: session.images[0].image_id,
      same_person: true,
    });
    expect(found.body.matches).toHaveLength(faces.length);
    const others = found.body.matches.slice(1) as Json[];
    expect(others.every((m) => m.distance > found.body.matches[0].distance)).toBe(true);
    // Default max_distance is the threshold: only those judged the same person.
    const within = await alice('POST', `/v1/collections/${id}/search`, imageForm(probeOfFirst));
    expect(within.body.matches.every((m: Json) => m.same_person && m.distance <= 0.6)).toBe(true);
    expect(within.body.matches[0].face_id).toBe(faces[0]!.face_id);
    expect((await alice('GET', `/v1/collections/${id}`)).body.face_count).toBe(faces.length);
  });

  it('searches by encoding, with k, and refuses bad probes and other models with coded errors', async () => {
    const { id, faces } = await collectionWithFaces('by-encoding');
    const encoding = session.images[0].faces[1].encoding as number[];
    const one = await alice('POST', `/v1/collections/${id}/search?k=1`, { encoding });
    expect(one.body.matches).toEqual([expect.objectContaining({ face_id: faces[1]!.face_id, distance: 0 })]);
    const model = (await alice('GET', `/v1/collections/${id}`)).body.model;
    expect((await alice('POST', `/v1/collections/${id}/search`, { encoding, model })).status).toBe(200);
    const other = await alice('POST', `/v1/collections/${id}/search`, { encoding, model: 'other/model' });
    expect(other).toMatchObject({ status: 409, body: { code: 'model_mismatch' } });
    const short = await alice('POST', `/v1/collections/${id}/search`, { encoding: [1, 2, 3] });
    expect(short).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    const k = await alice('POST', `/v1/collections/${id}/search?k=101`, { encoding });
    expect(k).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    const noFace = await alice('POST', `/v1/collections/${id}/search?face_index=4`, imageForm(probeOfFirst));
    expect(noFace).toMatchObject({ status: 400, body: { code: 'no_face' } });
  });

  it('adds only faces of completed sessions, at an existing face_index', async () => {
    const { id } = await collectionWithFaces('adds');
    const open = await alice('POST', '/v1/session', {});
    const image = session.images[0] as Json;
    const notDone = await alice('POST', `/v1/collections/${id}/faces`, {
      session_id: open.body.session_id,
      image_id: image.image_id,
    });
    expect(notDone).toMatchObject({ status: 409, body: { code: 'session_not_completed' } });
    const past = await alice('POST', `/v1/collections/${id}/faces`, {
      session_id: session.session_id,
      image_id: image.image_id,
      face_index: image.faces.length,
    });
    expect(past).toMatchObject({ status: 400, body: { code: 'no_face' } });
  });

  it("treats another user's collection, faces and sessions as missing on every operation", async () => {
    const { id, faces } = await collectionWithFaces('owned');
    const faceId = faces[0]!.face_id;
    const image = session.images[0] as Json;
    const add = { session_id: session.session_id, image_id: image.image_id };
    const encoding = image.faces[0].encoding;
    for (const [method, path, body] of [
      ['GET', `/v1/collections/${id}`],
      ['DELETE', `/v1/collections/${id}`],
      ['GET', `/v1/collections/${id}/faces`],
      ['POST', `/v1/collections/${id}/faces`, add],
      ['DELETE', `/v1/collections/${id}/faces/${faceId}`],
      ['POST', `/v1/collections/${id}/search`, { encoding }],
    ] as const) {
      const res = await bob(method, path, body);
      expect(res, `${method} ${path}`).toMatchObject({ status: 404, body: { code: 'collection_not_found' } });
    }
    expect((await bob('GET', '/v1/collections')).body.items).toEqual([]);
    // Bob's own collection cannot take Alice's session either.
    const mine = await bob('POST', '/v1/collections', { name: 'bob' });
    const stolen = await bob('POST', `/v1/collections/${mine.body.collection_id}/faces`, add);
    expect(stolen).toMatchObject({ status: 404, body: { code: 'session_not_found' } });
    expect((await alice('GET', `/v1/collections/${id}`)).body.face_count).toBe(faces.length);
  });

  it('erases a collection so that a copy of the database taken before cannot be decrypted (crypto-shredding)', async () => {
    const { id, faces } = await collectionWithFaces('shredded');
    const kept = await collectionWithFaces('kept');
    const dbPath = join(server.dataDir, 'face-encode.db');
    const copyPath = join(server.dataDir, 'backup.db');
    // A consistent copy of the database file, as a backup would take it.
    const live = new Database(dbPath);
    await live.backup(copyPath);
    live.close();
    copyFileSync(copyPath, `${copyPath}.bak`);

    expect((await alice('DELETE', `/v1/collections/${id}`)).status).toBe(204);
    const backup = new Database(`${copyPath}.bak`, { readonly: true });
    const rows = backup
      .prepare('SELECT id, sealed FROM collection_faces WHERE collection_id = ?')
      .all(id) as Array<{
      id: string;
      sealed: Buffer;
    }>;
    const tables = backup.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
      name: string;
    }>;
    backup.close();
    expect(rows).toHaveLength(faces.length);
    expect(tables.map((t) => t.name)).not.toContain('collection_keys');

    // Everything the server still holds: the master key and every key left in its key store.
    const keyWrap = new KeyWrap({ masterKey: parseMasterKey(TEST_MASTER_KEY) });
    const keyStore = new SqliteKeyStore({ path: join(server.dataDir, 'collection-keys.db') });
    expect(await keyStore.get(id)).toBeNull();
    const candidates = [parseMasterKey(TEST_MASTER_KEY)];
    for (const other of [kept.id]) candidates.push(keyWrap.unwrap(other, (await keyStore.get(other))!).key);
    await keyStore.close();
    const out = new Float32Array(128);
    for (const row of rows)
      for (const key of candidates) expect(() => openEncoding(key, id, row.id, row.sealed, out, 0)).toThrow();
    // The live database keeps nothing of it.
    const after = new Database(dbPath, { readonly: true });
    expect(
      after.prepare('SELECT COUNT(*) AS n FROM collection_faces WHERE collection_id = ?').get(id),
    ).toEqual({
      n: 0,
    });
    after.close();
  });
});

describe('collections without a master key', () => {
  it('answer 503 collections_unavailable, saying what the operator sets', async () => {
    const plain = await startTestServer();
    try {
      const res = await caller(plain, 'alice')('POST', '/v1/collections', { name: 'x' });
      expect(res).toMatchObject({ status: 503, body: { code: 'collections_unavailable' } });
      expect(res.body.error).toMatch(/FACE_ENCODE_MASTER_KEY/);
    } finally {
      await plain.dispose();
    }
  });

  it('refuses a face past the configured collection size with collection_full', async () => {
    const small = await startTestServer(
      { masterKey: TEST_MASTER_KEY, maxCollectionFaces: 1 },
      { dataDir: server.dataDir },
    );
    try {
      const call = caller(small, 'alice');
      const created = await call('POST', '/v1/collections', { name: 'small' });
      const image = session.images[0] as Json;
      const add = (i: number) =>
        call('POST', `/v1/collections/${created.body.collection_id}/faces`, {
          session_id: session.session_id,
          image_id: image.image_id,
          face_index: i,
        });
      expect((await add(0)).status).toBe(201);
      expect(await add(1)).toMatchObject({ status: 409, body: { code: 'collection_full' } });
    } finally {
      await small.close();
    }
  });
});
