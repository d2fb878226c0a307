// Collections through the SDK against the real server (real inference): the README's
// "find a person from a selfie", paging, typed errors.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, createFaceEncodeClient, type FaceEncodeClient } from '../src/index.js';
import { sampleBytes, startTestServer } from './server-fixture.js';

let close: () => Promise<void>;
let baseUrl: string;
let client: FaceEncodeClient;

beforeAll(async () => {
  const started = await startTestServer({ masterKey: Buffer.alloc(32, 9).toString('base64') });
  close = started.close;
  baseUrl = started.server.url;
  client = createFaceEncodeClient({ baseUrl, userId: `sdk-${randomUUID()}` });
}, 120_000);
afterAll(async () => {
  await close?.();
});

describe('collections', () => {
  it('finds a person from a selfie', async () => {
    const people = await client.createCollection('people');
    // One upload at a time: the session (and so addFaces) lists images in arrival order, and two
    // concurrent uploads may arrive either way round.
    const session = await client.encode([sampleBytes(1), sampleBytes(2)], { concurrency: 1 });
    const added = await client.addFaces(people.collection_id, session.session_id);
    expect(added).toHaveLength(2);
    const { matches } = await client.searchFaces(
      people.collection_id,
      new Blob([new Uint8Array(sampleBytes(2))]),
    );
    expect(matches[0]).toMatchObject({ face_id: added[1]!.face_id, same_person: true });

    const encoding = session.images[0]!.faces[0]!.encoding;
    const byEncoding = await client.searchFaces(people.collection_id, encoding, { k: 1, maxDistance: 0.01 });
    expect(byEncoding.matches.map((m) => m.face_id)).toEqual([added[0]!.face_id]);

    const faces = [];
    for await (const face of client.iterateCollectionFaces(people.collection_id, { limit: 1 }))
      faces.push(face);
    expect(faces.map((f) => f.face_id).sort()).toEqual(added.map((f) => f.face_id).sort());

    await expect(
      client.searchFaces(people.collection_id, encoding, { model: 'other/model' }),
    ).rejects.toMatchObject({ name: 'ConflictError', code: 'model_mismatch' });
    await client.deleteCollection(people.collection_id);
    const error = await client.getCollection(people.collection_id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'collection_not_found' });
  });
});
