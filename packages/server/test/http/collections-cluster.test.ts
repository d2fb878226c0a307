// Collections on PostgreSQL with two API processes sharing Redis: each keeps its own in-memory copy
// of a collection, and a change through one is seen by a search through the other.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyWrap, openEncoding, parseMasterKey } from '../../src/collections/template-crypto.js';
import { caller, encodedSession, TEST_MASTER_KEY, type Json } from '../support/collections.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../support/redis.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let schema: TestSchema;
let keySchema: TestSchema;
let prefix: string;
let a: TestServer; // encodes
let b: TestServer; // API only
let session: Json;

beforeAll(async () => {
  schema = await createTestSchema();
  // The keys in a database (here: schema) of their own, as FACE_ENCODE_KEY_DATABASE_URL sets it.
  keySchema = await createTestSchema();
  prefix = testPrefix();
  const shared = {
    databaseUrl: schema.url,
    redisUrl: REDIS_URL,
    redisPrefix: prefix,
    masterKey: TEST_MASTER_KEY,
    keyDatabaseUrl: keySchema.url,
  };
  a = await startTestServer({ ...shared, workers: 1 });
  b = await startTestServer({ ...shared, workers: 0 });
  session = await encodedSession(a, 'alice');
}, 180_000);
afterAll(async () => {
  await b?.dispose();
  await a?.dispose();
  await deleteKeys(`${prefix}*`);
  await keySchema?.drop();
  await schema?.drop();
});

const faceOf = (i: number) => ({
  session_id: session.session_id,
  image_id: session.images[0].image_id,
  face_index: i,
  label: `person-${i}`,
});
const encodingOf = (i: number) => session.images[0].faces[i].encoding as number[];

describe('collections across two API processes (PostgreSQL, Redis)', () => {
  it('sees an add and a delete made through the other process', async () => {
    const onA = caller(a, 'alice');
    const onB = caller(b, 'alice');
    const id = (await onA('POST', '/v1/collections', { name: 'cluster' })).body.collection_id as string;
    const first = (await onA('POST', `/v1/collections/${id}/faces`, faceOf(0))).body;
    const search = (i: number) =>
      onB('POST', `/v1/collections/${id}/search?k=1&max_distance=0.001`, { encoding: encodingOf(i) });

    // B loads its copy now: one face.
    expect((await search(0)).body.matches.map((m: Json) => m.face_id)).toEqual([first.face_id]);
    expect((await search(1)).body.matches).toEqual([]);

    const second = (await onA('POST', `/v1/collections/${id}/faces`, faceOf(1))).body;
    await expect
      .poll(async () => (await search(1)).body.matches.map((m: Json) => m.face_id))
      .toEqual([second.face_id]);

    expect((await onA('DELETE', `/v1/collections/${id}/faces/${first.face_id}`)).status).toBe(204);
    await expect.poll(async () => (await search(0)).body.matches).toEqual([]);

    expect((await onA('DELETE', `/v1/collections/${id}`)).status).toBe(204);
    expect(await search(1)).toMatchObject({ status: 404, body: { code: 'collection_not_found' } });
  });

  it("treats another user's collection as missing on every operation", async () => {
    const onA = caller(a, 'alice');
    const bobOnB = caller(b, 'bob');
    const id = (await onA('POST', '/v1/collections', { name: 'owned' })).body.collection_id as string;
    const face = (await onA('POST', `/v1/collections/${id}/faces`, faceOf(0))).body;
    for (const [method, path, body] of [
      ['GET', `/v1/collections/${id}`],
      ['DELETE', `/v1/collections/${id}`],
      ['GET', `/v1/collections/${id}/faces`],
      ['POST', `/v1/collections/${id}/faces`, faceOf(1)],
      ['DELETE', `/v1/collections/${id}/faces/${face.face_id}`],
      ['POST', `/v1/collections/${id}/search`, { encoding: encodingOf(0) }],
    ] as const) {
      const res = await bobOnB(method, path, body);
      expect(res, `${method} ${path}`).toMatchObject({ status: 404, body: { code: 'collection_not_found' } });
    }
    expect((await onA('GET', `/v1/collections/${id}`)).body.face_count).toBe(1);
  });

  it('leaves rows in a copy taken before the delete that nothing the server holds can decrypt', async () => {
    const onA = caller(a, 'alice');
    const id = (await onA('POST', '/v1/collections', { name: 'shred' })).body.collection_id as string;
    for (const i of [0, 1, 2])
      expect((await onA('POST', `/v1/collections/${id}/faces`, faceOf(i))).status).toBe(201);
    // The backup: the template rows as they were (the key lives in the key database, not here).
    const { rows } = await schema.pool.query<{ id: string; sealed: Buffer }>(
      'SELECT id, sealed FROM collection_faces WHERE collection_id = $1',
      [id],
    );
    expect(rows).toHaveLength(3);
    const tables = await schema.pool.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'collection_keys'`,
      [schema.schema],
    );
    expect(tables.rowCount).toBe(0);

    expect((await onA('DELETE', `/v1/collections/${id}`)).status).toBe(204);
    const keyWrap = new KeyWrap({ masterKey: parseMasterKey(TEST_MASTER_KEY) });
    const left = await keySchema.pool.query<{ collection_id: string; wrapped: Buffer }>(
      'SELECT collection_id, wrapped FROM collection_keys',
    );
    expect(left.rows.map((r) => r.collection_id)).not.toContain(id);
    const candidates = [
      parseMasterKey(TEST_MASTER_KEY),
      randomBytes(32),
      ...left.rows.map((r) => keyWrap.unwrap(r.collection_id, r.wrapped).key),
    ];
    const out = new Float32Array(128);
    for (const row of rows)
      for (const key of candidates) expect(() => openEncoding(key, id, row.id, row.sealed, out, 0)).toThrow();
    const live = await schema.pool.query('SELECT 1 FROM collection_faces WHERE collection_id = $1', [id]);
    expect(live.rowCount).toBe(0);
  });
});
