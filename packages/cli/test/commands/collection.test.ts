// `face-encode collection …` against the real server (collections on, real inference): every
// subcommand, its --json shape and human lines, and bad input as one line + hint + exit code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHome, json } from '../helpers/cli.js';
import { cropFace, samplePhoto, textAsJpeg, type Box } from '../helpers/images.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface SummaryJson {
  session_id: string;
  images: { image_id: string; image_name: string; faces: { box: Box }[] }[];
}
interface CollectionJson {
  collection_id: string;
  name: string;
  model: string;
  face_count: number;
  created_at: string;
}
interface FaceJson {
  face_id: string;
  collection_id: string;
  label: string | null;
  external_id: string | null;
  session_id: string;
  image_id: string;
  face_index: number;
  created_at: string;
}
interface SearchJson {
  matches: {
    face_id: string;
    label: string | null;
    external_id: string | null;
    session_id: string;
    image_id: string;
    distance: number;
    same_person: boolean;
  }[];
  threshold: number;
  model: string;
}

const USER = 'collection-user';
const MISSING = '11111111-1111-4111-8111-111111111111';
let server: TestServer;
let home: CliHome;
let dir: string;
let faceA: string;
let faceAFlipped: string;
let session: SummaryJson;

const cli = (args: string[], user = USER) => home.run([...args, '--url', server.url, '--user-id', user]);
const createCollection = async (name: string) =>
  json<CollectionJson>(await cli(['collection', 'create', name, '--json'])).collection_id;

beforeAll(async () => {
  server = await startTestServer({
    auth: 'demo',
    masterKey: Buffer.alloc(32, 9).toString('base64'),
    maxCollectionFaces: 3,
  });
  home = new CliHome();
  dir = mkdtempSync(join(tmpdir(), 'face-encode-collection-'));
  // Two people cropped out of a sample photo, encoded in one session through the CLI.
  const found = await cli(['encode', samplePhoto(1), '--json']);
  expect(found.code, found.stderr).toBe(0);
  const [first, second] = json<SummaryJson>(found).images[0]!.faces as [{ box: Box }, { box: Box }];
  faceA = await cropFace(samplePhoto(1), first.box, join(dir, 'face-a.jpg'));
  faceAFlipped = await cropFace(samplePhoto(1), first.box, join(dir, 'face-a-flipped.jpg'), { flip: true });
  const faceB = await cropFace(samplePhoto(1), second.box, join(dir, 'face-b.jpg'));
  const encoded = await cli(['encode', faceA, faceB, '--json']);
  expect(encoded.code, encoded.stderr).toBe(0);
  session = json<SummaryJson>(encoded);
}, 240_000);

afterAll(async () => {
  await server?.close();
  home?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('collection create and list', () => {
  it('creates a collection and prints it as JSON, or one human line', async () => {
    const r = await cli(['collection', 'create', 'attendees', '--json'], 'list-user');
    expect(r.code, r.stderr).toBe(0);
    const c = json<CollectionJson>(r);
    expect(c).toEqual({
      collection_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'attendees',
      model: expect.any(String),
      face_count: 0,
      created_at: expect.any(String),
    });
    const human = await cli(['collection', 'create', 'staff'], 'list-user');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Created collection [0-9a-f-]{36} \(staff\)\.\n$/);
  });

  it('lists the caller’s collections newest first, a page at a time', async () => {
    for (const name of ['one', 'two', 'three']) await cli(['collection', 'create', name], 'pager');
    const first = await cli(['collection', 'list', '--limit', '2', '--json'], 'pager');
    expect(first.code, first.stderr).toBe(0);
    const page = json<{ items: CollectionJson[]; next_cursor: string | null }>(first);
    expect(page.items.map((c) => c.name)).toEqual(['three', 'two']);
    expect(page.next_cursor).toEqual(expect.any(String));
    const rest = await cli(['collection', 'list', '--cursor', page.next_cursor!, '--json'], 'pager');
    expect(json<{ items: CollectionJson[]; next_cursor: null }>(rest)).toMatchObject({
      items: [{ name: 'one' }],
      next_cursor: null,
    });
    const human = await cli(['collection', 'list', '--limit', '2'], 'pager');
    expect(human.stdout).toMatch(/^[0-9a-f-]{36} {2}0 faces {2}three\n[0-9a-f-]{36} {2}0 faces {2}two\n$/);
    expect(human.stderr).toContain(`More: face-encode collection list --cursor ${page.next_cursor}`);
    expect((await cli(['collection', 'list'], 'nobody')).stdout).toBe('No collections.\n');
  });
});

describe('collection add, faces and search', () => {
  it('keeps every image’s largest face, lists them and finds the person of a new photo', async () => {
    const id = await createCollection('people');
    const added = await cli(['collection', 'add', id, session.session_id, '--json']);
    expect(added.code, added.stderr).toBe(0);
    const items = json<{ items: FaceJson[] }>(added).items;
    expect(items).toHaveLength(2);
    expect(new Set(items.map((f) => f.image_id))).toEqual(new Set(session.images.map((i) => i.image_id)));
    expect(items[0]).toEqual({
      face_id: expect.any(String),
      collection_id: id,
      label: null,
      external_id: null,
      session_id: session.session_id,
      image_id: expect.any(String),
      face_index: 0,
      created_at: expect.any(String),
    });

    const imageA = session.images.find((i) => i.image_name === 'face-a.jpg')!.image_id;
    const labelled = await cli([
      'collection',
      'add',
      id,
      session.session_id,
      '--image',
      imageA,
      '--label',
      'Ada',
    ]);
    expect(labelled.code, labelled.stderr).toBe(0);
    expect(labelled.stdout).toBe(`Added 1 face to ${id}.\n`);

    const faces = await cli(['collection', 'faces', id, '--json']);
    expect(faces.code, faces.stderr).toBe(0);
    const listed = json<{ items: FaceJson[] }>(faces).items;
    expect(listed).toHaveLength(3);
    expect(listed[0]).toMatchObject({ label: 'Ada', image_id: imageA });
    const human = await cli(['collection', 'faces', id]);
    expect(human.stdout.split('\n')[0]).toBe(`${listed[0]!.face_id}  Ada  image ${imageA} face 0`);

    // The mirrored photo is a new selfie of person A: A's two faces come back, not B's.
    const search = await cli(['collection', 'search', id, faceAFlipped, '--json']);
    expect(search.code, search.stderr).toBe(0);
    const result = json<SearchJson>(search);
    expect(result).toEqual({
      matches: expect.any(Array),
      threshold: expect.any(Number),
      model: expect.any(String),
    });
    expect(result.matches.map((m) => m.image_id)).toEqual([imageA, imageA]);
    expect(result.matches.every((m) => m.same_person && m.distance <= result.threshold)).toBe(true);
    expect(result.matches[0]).toEqual({
      face_id: expect.any(String),
      label: expect.toBeOneOf(['Ada', null]),
      external_id: null,
      session_id: session.session_id,
      image_id: imageA,
      distance: expect.any(Number),
      same_person: true,
    });
    const one = await cli(['collection', 'search', id, faceA, '--k', '1']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^0\.\d{3} {2}same person {2}(Ada|-) {2}[0-9a-f-]{36}\n$/);
    const none = await cli(['collection', 'search', id, faceAFlipped, '--max-distance', '0.0001']);
    expect(none.stdout).toMatch(/^No one within 0\.\d+\.\n$/);
  });
});

describe('collection delete', () => {
  it('wants --yes, then erases the collection: usage error first (exit 2), one line and a hint', async () => {
    const id = await createCollection('short-lived');
    const refused = await cli(['collection', 'delete', id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `Error: Refusing to delete a collection without confirmation.\nHint: Pass --yes: face-encode collection delete ${id} --yes\n`,
    );
    const deleted = await cli(['collection', 'delete', id, '--yes', '--json']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(json(deleted)).toEqual({ collection_id: id, deleted: true });
    const gone = await cli(['collection', 'faces', id]);
    expect(gone.code).toBe(4);
  });
});

describe('collection commands on bad input', () => {
  it('reports a missing (or another user’s) collection with exit 4, one line and a collection hint', async () => {
    const r = await cli(['collection', 'search', MISSING, faceA]);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Error: Collection ${MISSING} not found.\nHint: Run face-encode collection list.\n`,
    );
    const id = await createCollection('private');
    const stranger = await cli(['collection', 'faces', id, '--json'], 'stranger');
    expect(stranger.code).toBe(4);
    expect(json(stranger)).toEqual({
      error: {
        message: `Collection ${id} not found.`,
        hint: 'Run face-encode collection list.',
        exit_code: 4,
        code: 'collection_not_found',
        status: 404,
        request_id: expect.any(String),
      },
    });
  });

  it('refuses a file that is not an image (exit 5) and a collection past its size (exit 5, not "retry")', async () => {
    const id = await createCollection('bad-input');
    const notImage = await cli(['collection', 'search', id, textAsJpeg(join(dir, 'not.jpg'))]);
    expect(notImage.code).toBe(5);
    expect(notImage.stderr.split('\n')).toEqual([
      expect.stringMatching(/^Error: /),
      expect.stringMatching(/^Hint: /),
      '',
    ]);

    expect((await cli(['collection', 'add', id, session.session_id])).code).toBe(0);
    const imageA = session.images.find((i) => i.image_name === 'face-a.jpg')!.image_id;
    expect((await cli(['collection', 'add', id, session.session_id, '--image', imageA])).code).toBe(0);
    const full = await cli(['collection', 'add', id, session.session_id, '--image', imageA]);
    expect(full.code).toBe(5);
    expect(full.stderr).toBe(
      `Error: Collection ${id} holds 3 faces, the most this server keeps in one collection.\n` +
        'Hint: Delete faces from it, or start another with face-encode collection create.\n',
    );
  });

  it('refuses an out-of-range --k as a usage error (exit 2) without a request', async () => {
    const r = await cli(['collection', 'search', MISSING, faceA, '--k', '101']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--k/);
  });
});
