import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedFace } from '../../src/encoder/encoder.js';
import { FaceApiEncoder } from '../../src/encoder/faceapi-encoder.js';
import {
  collage,
  cropFace,
  exifRotated,
  noFace,
  rescaled,
  sample,
  samplePath,
} from '../encoder/sample-images.js';
import { expectSchema } from '../support/spec-validator.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

// Real inference end to end: a server with one encoder thread, images from face-api's samples.
let server: TestServer;
let clock = Date.now();
let personA: Buffer; // sample1, largest face
let personA2: Buffer; // the same face, another crop size
let personB: Buffer; // sample1, another person
let crowd: Buffer; // more than 5 faces
const user = 'alice';

async function json(res: Response) {
  return (await res.json()) as Record<string, any>;
}

async function session(body: Record<string, unknown> = {}) {
  const res = await server.call('/v1/session', {
    method: 'POST',
    user,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return json(res);
}

async function put(sessionId: string, bytes: Buffer, wait = 30) {
  const res = await server.call(`/v1/image/${sessionId}?wait=${wait}`, {
    method: 'POST',
    user,
    body: imageForm(bytes),
  });
  expect(res.status).toBe(201);
  return json(res);
}

beforeAll(async () => {
  const encoder = new FaceApiEncoder();
  const s1 = (await encoder.encode(sample(1))).faces as EncodedFace[];
  personA = await cropFace(sample(1), s1[0]!.box, 480);
  personA2 = await rescaled(await cropFace(sample(1), s1[0]!.box, 480, 0.9), 300);
  personB = await cropFace(sample(1), s1[2]!.box, 480);
  const crops: Buffer[] = [];
  for (const n of [4, 5] as const) {
    for (const f of (await encoder.encode(sample(n))).faces)
      crops.push(await cropFace(sample(n), f.box, 200, 0.3));
  }
  crowd = await collage(crops);
  server = await startTestServer({ workers: 1, webhookAllowPrivate: true }, { now: () => clock });
}, 240_000);
afterAll(() => server.dispose());

describe('the encoding pipeline over HTTP', () => {
  it('encodes two selfies of one person: same_person true, raw images deleted', async () => {
    const s = await session();
    const a = await put(s.session_id, personA);
    const b = await put(s.session_id, await exifRotated(personA2));
    expect(a.status).toBe('done');
    expect(b.status).toBe('done');
    expectSchema('Image', a);
    expect(a.faces).toHaveLength(1);
    expect(a.faces[0].encoding).toHaveLength(128);
    const summary = await json(await server.call(`/v1/session/${s.session_id}?include=landmarks`, { user }));
    expectSchema('SessionSummary', summary);
    expect(summary.status).toBe('completed');
    expect(summary.images[0].faces[0].landmarks).toHaveLength(68);
    // The image's own URL gives the same points when asked, and none by default, as the summary does.
    const image = await json(
      await server.call(`/v1/image/${s.session_id}/${a.image_id}?include=landmarks`, { user }),
    );
    const inSummary = summary.images.find((i: { image_id: string }) => i.image_id === a.image_id);
    expect(image.faces[0].landmarks).toEqual(inSummary.faces[0].landmarks);
    const plain = await json(await server.call(`/v1/session/${s.session_id}`, { user }));
    expect(plain.images[0].faces[0]).not.toHaveProperty('landmarks');
    expect(summary.summary).toMatchObject({ images_done: 2, faces_total: 2, same_person: true });
    expect(summary.summary.max_distance).toBeLessThanOrEqual(0.6);
    expect(server.files().filter((f) => f.startsWith('blobs/images'))).toEqual([]);
  });

  it('tells two people apart', async () => {
    const s = await session();
    await put(s.session_id, personA);
    await put(s.session_id, personB);
    const summary = await json(await server.call(`/v1/session/${s.session_id}`, { user }));
    expect(summary.summary.same_person).toBe(false);
    expect(summary.summary.max_distance).toBeGreaterThan(0.6);
  });

  it('reports an image with no face, and fails one with too many faces', async () => {
    const s = await session();
    const empty = await put(s.session_id, await noFace());
    expect(empty).toMatchObject({ status: 'done', faces: [] });
    const many = await put(s.session_id, crowd);
    expect(many.status).toBe('failed');
    expect(many.error.code).toBe('too_many_faces');
    const summary = await json(await server.call(`/v1/session/${s.session_id}`, { user }));
    expect(summary.summary).toMatchObject({ images_without_face: 1, images_failed: 1, same_person: null });
    expect(summary.summary.verdict_reason).toMatch(/no face/);
  });

  it('encodes synchronously on POST /v1/selfie and keeps nothing', async () => {
    const before = server.files();
    const one = await server.call('/v1/selfie', { method: 'POST', user, body: imageForm(personA) });
    expect(one.status).toBe(200);
    const encodings = await json(one);
    expectSchema('SelfieEncodings', encodings);
    expect(encodings).toHaveLength(1);
    const none = await server.call('/v1/selfie', { method: 'POST', user, body: imageForm(await noFace()) });
    expect(await none.json()).toEqual([]);
    const tooMany = await server.call('/v1/selfie', { method: 'POST', user, body: imageForm(crowd) });
    expect(tooMany.status).toBe(400);
    expect((await json(tooMany)).code).toBe('too_many_faces');
    expect(server.files()).toEqual(before);
  });

  it('signs and delivers session.completed to the callback URL, and shows the delivery', async () => {
    const received: Array<{ body: string; headers: Record<string, string | string[] | undefined> }> = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.writeHead(received.length === 1 ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const port = (receiver.address() as AddressInfo).port;
      const s = await session({ callback_url: `http://127.0.0.1:${port}/hook`, vendor_data: 'order-9' });
      await put(s.session_id, personA);
      for (let i = 0; i < 100 && received.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await server.pipeline.deliverWebhooks();
        clock += 5_000; // the retry is due after its backoff
      }
      expect(received.length).toBeGreaterThanOrEqual(2);
      const [first, second] = received as [(typeof received)[0], (typeof received)[0]];
      // The retry resends the same event.
      expect(second.body).toBe(first.body);
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      const event = JSON.parse(second.body);
      expectSchema('SessionCompletedEvent', event);
      expect(event).toMatchObject({
        type: 'session.completed',
        data: { session_id: s.session_id, vendor_data: 'order-9' },
      });
      // Standard Webhooks, checked by the spec's own npm package (5-minute tolerance on real time).
      expect(second.headers['webhook-id']).toBe(event.id);
      expect(
        new Webhook(s.webhook_secret).verify(second.body, second.headers as Record<string, string>),
      ).toEqual(event);
      const summary = await json(await server.call(`/v1/session/${s.session_id}`, { user }));
      expect(summary.webhook).toMatchObject({
        event_id: event.id,
        status: 'delivered',
        attempts: 2,
        last_status_code: 204,
      });
    } finally {
      receiver.close();
    }
  });

  it("runs the original design's three curl calls verbatim, with every header, in demo mode", async () => {
    // The design's commands, character for character; only the base URL, the session id and the
    // file path are filled in. curl completes `Content-Type: multipart/form-data` with a boundary.
    const design = {
      create: `curl -X POST "http://localhost:3030/v1/session" \\
     --header 'accept: application/json' \\
     --header "Content-Type: application/json" \\
     --header "user_id: 1"`,
      upload: `curl -X POST "http://localhost:3030/v1/image/{session_id}" \\
     --header 'accept: application/json' \\
     --header "Content-Type: multipart/form-data" \\
     --header "user_id: 1" \\
     -F "file=@{file}"`,
      summary: `curl -X GET "http://localhost:3030/v1/session/{session_id}" \\
     --header 'accept: application/json' \\
     --header "Content-Type: application/json" \\
     --header "user_id: 1"`,
    };
    const base = server.url.replace('127.0.0.1', 'localhost');
    const run = promisify(execFile);
    const curl = async (command: string, fill: Record<string, string> = {}) => {
      let line = command.replace('http://localhost:3030', base);
      for (const [k, v] of Object.entries(fill)) line = line.replace(`{${k}}`, v);
      // Output flags only: print the status after the body.
      const { stdout } = await run('sh', ['-c', `${line} -sS -w '\\n%{http_code}'`]);
      const cut = stdout.lastIndexOf('\n');
      return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
    };
    const created = await curl(design.create);
    expect(created).toMatchObject({ status: 201, body: { status: 'open' } });
    const ids = { session_id: created.body.session_id as string };
    const image = await curl(design.upload, { ...ids, file: samplePath(2) });
    expect(image).toMatchObject({ status: 201, body: { session_id: ids.session_id } });
    let summary = await curl(design.summary, ids);
    for (let i = 0; i < 120 && summary.body.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      summary = await curl(design.summary, ids);
    }
    expect(summary.status).toBe(200);
    expect(summary.body.status).toBe('completed');
    expect(summary.body.images[0].faces).toHaveLength(3);
  });

  it('erases everything of a session after its TTL and one cleanup pass', async () => {
    const s = await session({ ttl_seconds: 60 });
    await put(s.session_id, personA);
    clock += 61_000;
    const report = await server.pipeline.cleanup();
    expect(report?.sessions).toBeGreaterThanOrEqual(1);
    const res = await server.call(`/v1/session/${s.session_id}`, { user });
    expect(res.status).toBe(404);
    // Nothing of it remains in any table or on disk.
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(`${server.dataDir}/face-encode.db`, { readonly: true });
    try {
      for (const table of ['sessions', 'images', 'jobs', 'idempotency', 'webhooks']) {
        const column = table === 'sessions' ? 'id' : 'session_id';
        const row = raw
          .prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`)
          .get(s.session_id) as { n: number };
        expect(row.n, table).toBe(0);
      }
    } finally {
      raw.close();
    }
    expect(server.files().filter((f) => f.startsWith('blobs/images'))).toEqual([]);
  });
});

describe('keep-images', () => {
  it('keeps the raw image after encoding when asked, without EXIF', async () => {
    const keeper = await startTestServer({ workers: 1, keepImages: true });
    try {
      const s = await json(
        await keeper.call('/v1/session', {
          method: 'POST',
          user,
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
      );
      const withExif = await sharp(personA)
        .withExif({ IFD0: { Artist: 'someone', Copyright: 'location here' } })
        .jpeg()
        .toBuffer();
      expect((await sharp(withExif).metadata()).exif).toBeDefined();
      const res = await keeper.call(`/v1/image/${s.session_id}?wait=30`, {
        method: 'POST',
        user,
        body: imageForm(withExif),
      });
      expect((await json(res)).status).toBe('done');
      const kept = keeper.files().filter((f) => f.startsWith('blobs/images'));
      expect(kept).toHaveLength(1);
      expect((await sharp(`${keeper.dataDir}/${kept[0]}`).metadata()).exif).toBeUndefined();
    } finally {
      await keeper.dispose();
    }
  });
});
