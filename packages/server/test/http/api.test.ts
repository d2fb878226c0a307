import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';
import { sample } from '../encoder/sample-images.js';
import { expectSchema, openApiSpec } from '../support/spec-validator.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';
import { hostileCases, jpegWithHugeExif } from './hostile-inputs.js';

let server: TestServer;
let jpeg: Buffer;
const alice = { user: 'alice' };

async function json(res: Response) {
  return (await res.json()) as Record<string, unknown> & { [k: string]: any };
}

async function createSession(user = 'alice', body: Record<string, unknown> = {}) {
  const res = await server.call('/v1/session', {
    method: 'POST',
    user,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  const session = await json(res);
  expectSchema('CreatedSession', session);
  return session;
}

function upload(
  sessionId: string,
  bytes: Uint8Array,
  init: { user?: string; headers?: Record<string, string>; name?: string; query?: string } = {},
) {
  return server.call(`/v1/image/${sessionId}${init.query ?? ''}`, {
    method: 'POST',
    user: init.user ?? 'alice',
    headers: init.headers,
    body: imageForm(bytes, 'photo.jpg', init.name ? { image_name: init.name } : {}),
  });
}

function expectProblem(body: Record<string, unknown>, status: number, code: string) {
  expectSchema('Problem', body);
  expect(body).toMatchObject({ status, code });
  expect(body.request_id).toEqual(expect.any(String));
  expect(body.error).toBe(body.detail);
}

beforeAll(async () => {
  server = await startTestServer({ maxFileMb: 1 });
  jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();
});
afterAll(() => server.dispose());

describe('routes come from the OpenAPI document', () => {
  it('serves every documented operation and nothing undocumented', () => {
    const documented = Object.entries(openApiSpec.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const served = server.app.routeList
      .filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS')
      .map((r) => `${r.method} ${r.url}`);
    expect([...new Set(served)].sort()).toEqual([...documented].sort());
  });
});

describe('sessions', () => {
  it('creates, reads, lists and deletes a session with documented shapes', async () => {
    const created = await createSession('alice', { vendor_data: 'v-1', ttl_seconds: 3600 });
    expect(created).toMatchObject({
      status: 'open',
      image_count: 0,
      max_images: 5,
      vendor_data: 'v-1',
      webhook_secret: null,
    });
    const res = await server.call(`/v1/session/${created.session_id}`, alice);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const summary = await json(res);
    expectSchema('SessionSummary', summary);
    expect(summary.summary).toMatchObject({ images_done: 0, same_person: null, threshold: 0.6 });
    // An API-only server still names the model its workers run.
    expect(summary.summary.model.version).toMatch(/^\d+\.\d+\.\d+$/);

    const list = await json(await server.call('/v1/sessions?limit=100', alice));
    expectSchema('SessionList', list);
    expect(list.items.map((s: { session_id: string }) => s.session_id)).toContain(created.session_id);

    expect(
      (await server.call(`/v1/session/${created.session_id}`, { ...alice, method: 'DELETE' })).status,
    ).toBe(204);
    const gone = await server.call(`/v1/session/${created.session_id}`, alice);
    expectProblem(await json(gone), 404, 'session_not_found');
  });

  it('returns a webhook secret once when a callback URL is set', async () => {
    const s = await createSession('alice', { callback_url: 'https://example.org/hook' });
    expect(s.webhook_secret).toMatch(/^whsec_/);
    const again = await json(await server.call(`/v1/session/${s.session_id}`, alice));
    expect(again).not.toHaveProperty('webhook_secret');
  });

  it('paginates newest first with a cursor and filters by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createSession('pager')).session_id as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await json(
        await server.call(`/v1/sessions?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { user: 'pager' }),
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((s: { session_id: string }) => s.session_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const open = await json(await server.call('/v1/sessions?status=open', { user: 'pager' }));
    expect(open.items).toHaveLength(5);
    const completed = await json(await server.call('/v1/sessions?status=completed', { user: 'pager' }));
    expect(completed.items).toHaveLength(0);
  });

  it("answers 404, never 403, for another user's session and image", async () => {
    const s = await createSession('alice');
    const up = await json(await upload(s.session_id, jpeg));
    for (const [path, method] of [
      [`/v1/session/${s.session_id}`, 'GET'],
      [`/v1/session/${s.session_id}`, 'DELETE'],
      [`/v1/image/${s.session_id}/${up.image_id}`, 'GET'],
    ] as const) {
      const res = await server.call(path, { user: 'mallory', method });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await upload(s.session_id, jpeg, { user: 'mallory' })).status).toBe(404);
    const mine = await json(await server.call('/v1/sessions', { user: 'mallory' }));
    expect(mine.items).toEqual([]);
    // Alice still has it.
    expect((await server.call(`/v1/session/${s.session_id}`, alice)).status).toBe(200);
  });
});

describe('request bodies', () => {
  const asJson = { 'content-type': 'application/json' };

  it('reads an empty body sent as application/json as {} wherever the body is optional', async () => {
    const created = await server.call('/v1/session', { method: 'POST', user: 'bodies', headers: asJson });
    expect(created.status).toBe(201);
    const s = await json(created);
    expectSchema('CreatedSession', s);
    const withCharset = await server.call('/v1/session', {
      method: 'POST',
      user: 'bodies',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '',
    });
    expect(withCharset.status).toBe(201);
    for (const [method, path, status] of [
      ['GET', `/v1/session/${s.session_id}`, 200],
      ['GET', '/v1/sessions', 200],
      ['DELETE', `/v1/session/${s.session_id}`, 204],
    ] as const) {
      const res = await server.call(path, { method, user: 'bodies', headers: asJson });
      expect(res.status, `${method} ${path}`).toBe(status);
    }
  });

  it('answers 415 unsupported_media_type, naming application/json, for a non-JSON body on a JSON operation', async () => {
    for (const [type, body] of [
      ['text/plain', 'vendor_data=x'],
      ['application/x-www-form-urlencoded', 'vendor_data=x'],
      ['application/xml', '<session/>'],
    ] as const) {
      const res = await server.call('/v1/session', {
        method: 'POST',
        user: 'plain',
        headers: { 'content-type': type },
        body,
      });
      const problem = await json(res);
      expectProblem(problem, 415, 'unsupported_media_type');
      expect(problem.error, type).toContain('application/json');
    }
    expect((await json(await server.call('/v1/sessions', { user: 'plain' }))).items).toEqual([]);
  });

  it('answers 415 naming multipart/form-data for JSON sent to the upload operations', async () => {
    const s = await createSession('bodies');
    for (const path of [`/v1/image/${s.session_id}`, '/v1/selfie']) {
      const res = await server.call(path, {
        method: 'POST',
        user: 'bodies',
        headers: asJson,
        body: JSON.stringify({ file: 'AAAA' }),
      });
      const problem = await json(res);
      expectProblem(problem, 415, 'unsupported_media_type');
      expect(problem.error, path).toContain('multipart/form-data');
    }
  });
});

describe('uploads', () => {
  it('counts image_name in characters, as the spec does, not UTF-16 units', async () => {
    const s = await createSession();
    const longest = '😀'.repeat(255); // 255 characters, 510 UTF-16 units
    const res = await upload(s.session_id, jpeg, { name: longest });
    expect(res.status).toBe(201);
    const image = await json(res);
    expectSchema('Image', image);
    expect(image.image_name).toBe(longest);
    const tooLong = await upload(s.session_id, jpeg, { name: `${longest}😀` });
    expectProblem(await json(tooLong), 400, 'validation_failed');
  });

  it('accepts a JPEG, records its sha256 and sanitizes the name', async () => {
    const s = await createSession();
    const res = await upload(s.session_id, jpeg, { name: '../../etc/pass\u0000wd\u202e.jpg' });
    expect(res.status).toBe(201);
    const image = await json(res);
    expectSchema('Image', image);
    expect(image).toMatchObject({
      status: 'queued',
      content_type: 'image/jpeg',
      size_bytes: jpeg.length,
      sha256: createHash('sha256').update(jpeg).digest('hex'),
    });
    // eslint-disable-next-line no-control-regex
    expect(image.image_name).not.toMatch(/[/\\\u0000\u202e]/);
    expect(res.headers.get('location')).toBe(`/v1/image/${s.session_id}/${image.image_id}`);
    const fetched = await json(await server.call(`/v1/image/${s.session_id}/${image.image_id}`, alice));
    expect(fetched).toEqual(image);
    const missing = await server.call(
      `/v1/image/${s.session_id}/3f9c1e2a-7b4d-4e8f-9a6b-1c2d3e4f5a6b`,
      alice,
    );
    expectProblem(await json(missing), 404, 'image_not_found');
  });

  it('reads the type from the bytes: a PNG named .jpg is a PNG, and a matching digest passes', async () => {
    const s = await createSession();
    const png = await sharp(jpeg).png().toBuffer();
    const digest = `sha-256=:${createHash('sha256').update(png).digest('base64')}:`;
    const md5 = createHash('md5').update(png).digest('base64');
    const res = await upload(s.session_id, png, {
      headers: { 'content-digest': digest, 'content-md5': md5 },
    });
    expect(res.status).toBe(201);
    expect((await json(res)).content_type).toBe('image/png');
  });

  it('takes 5 images and refuses the 6th with the documented message', async () => {
    const s = await createSession();
    for (let i = 0; i < 5; i++) expect((await upload(s.session_id, jpeg)).status).toBe(201);
    const sixth = await json(await upload(s.session_id, jpeg));
    expectProblem(sixth, 400, 'too_many_images');
    expect(sixth.error).toBe('Too many images. Limit is 5 images per session.');
    const summary = await json(await server.call(`/v1/session/${s.session_id}`, alice));
    expect(summary.image_count).toBe(5);
    expect(summary.status).toBe('processing');
  });

  it('refuses a full session before reading the body, also under a new Idempotency-Key', async () => {
    const s = await createSession();
    for (let i = 0; i < 5; i++) expect((await upload(s.session_id, jpeg)).status).toBe(201);
    // Not an image: a server that read and normalized the body first would answer invalid_image.
    const sixth = await upload(s.session_id, Buffer.from('not an image at all'), {
      headers: { 'idempotency-key': 'fresh-key-on-a-full-session' },
    });
    expectProblem(await json(sixth), 400, 'too_many_images');
  });

  it('lets exactly 5 of 10 parallel uploads into one session, leaving no stray blobs', async () => {
    const s = await createSession('racer');
    const before = server.files().length;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => upload(s.session_id, jpeg, { user: 'racer' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((c) => c === 201)).toHaveLength(5);
    expect(statuses.filter((c) => c === 400)).toHaveLength(5);
    for (const r of results.filter((r) => r.status === 400))
      expect((await json(r)).code).toBe('too_many_images');
    expect(server.files().length - before).toBe(5);
  });

  it('keeps no EXIF and no trailing payload: a JPEG with 1 MiB of EXIF and a JPEG+ZIP polyglot are stored without them', async () => {
    const s = await createSession();
    const exif = await jpegWithHugeExif();
    expect(exif.length).toBeGreaterThan(2 ** 20 * 0.9);
    const big = await startTestServer({ maxFileMb: 2 });
    try {
      const sb = await json(
        await big.call('/v1/session', {
          method: 'POST',
          user: 'alice',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }),
      );
      const res = await big.call(`/v1/image/${sb.session_id}`, {
        method: 'POST',
        user: 'alice',
        body: imageForm(exif),
      });
      expect(res.status).toBe(201);
      const stored = big.files().filter((f) => f.startsWith('blobs/images/'));
      expect(stored).toHaveLength(1);
      const { readFileSync } = await import('node:fs');
      const meta = await sharp(readFileSync(`${big.dataDir}/${stored[0]}`)).metadata();
      expect(meta.exif).toBeUndefined();
    } finally {
      await big.dispose();
    }
    const zip = Buffer.concat([jpeg, Buffer.from('PK\u0003\u0004'), Buffer.alloc(512, 1)]);
    const polyglot = await upload(s.session_id, zip);
    expect(polyglot.status).toBe(201);
  });
});

describe('what is stored', () => {
  it('writes only the normalized image: the raw upload never reaches the blob store; PNG and WebP keep their format', async () => {
    const tag = { IFD0: { Copyright: 'private' } };
    const uploads = {
      jpeg: await sharp(jpeg).withExif(tag).jpeg().toBuffer(),
      png: await sharp(jpeg).ensureAlpha(0.8).withExif(tag).png().toBuffer(),
      webp: await sharp(jpeg).ensureAlpha(0.8).withExif(tag).webp().toBuffer(),
    };
    const put = vi.spyOn(FsBlobStore.prototype, 'put');
    try {
      for (const [format, bytes] of Object.entries(uploads)) {
        expect((await sharp(bytes).metadata()).exif).toBeDefined();
        const s = await createSession();
        put.mockClear();
        const res = await upload(s.session_id, bytes);
        expect(res.status).toBe(201);
        expect((await json(res)).content_type).toBe(`image/${format}`);
        // One write per upload: the re-encoded image, under its image key.
        expect(put).toHaveBeenCalledTimes(1);
        const [key, stored] = put.mock.calls[0] as [string, Uint8Array];
        expect(key).toMatch(/^images\//);
        const meta = await sharp(stored).metadata();
        expect(meta).toMatchObject({ format, width: 320 });
        expect(meta.exif).toBeUndefined();
        if (format !== 'jpeg') expect(meta.hasAlpha).toBe(true);
      }
    } finally {
      put.mockRestore();
    }
    expect(server.files().filter((f) => !f.startsWith('blobs/images/'))).toEqual([]);
  });
});

describe('GIF uploads', () => {
  it('takes a GIF as its first frame, stored as a lossless PNG, with content_type image/gif', async () => {
    const frame = (background: string) =>
      sharp({ create: { width: 8, height: 8, channels: 3, background } })
        .png()
        .toBuffer();
    const animated = await sharp([await frame('#ff0000'), await frame('#0000ff')], {
      join: { animated: true },
    })
      .gif()
      .toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(2);
    const put = vi.spyOn(FsBlobStore.prototype, 'put');
    try {
      const s = await createSession();
      const res = await upload(s.session_id, animated);
      expect(res.status).toBe(201);
      const image = await json(res);
      expectSchema('Image', image);
      expect(image.content_type).toBe('image/gif');
      const [, stored] = put.mock.calls[0] as [string, Uint8Array];
      const { data, info } = await sharp(stored).raw().toBuffer({ resolveWithObject: true });
      expect((await sharp(stored).metadata()).format).toBe('png');
      // One 8×8 frame, and the first one (red), not the frames stacked.
      expect([info.width, info.height]).toEqual([8, 8]);
      expect([...data.subarray(0, 3)]).toEqual([255, 0, 0]);
    } finally {
      put.mockRestore();
    }
  });

  it('still refuses other formats with a 415 that lists the accepted types', async () => {
    const s = await createSession();
    const res = await upload(s.session_id, await sharp(jpeg).tiff().toBuffer());
    const problem = await json(res);
    expectProblem(problem, 415, 'unsupported_media_type');
    for (const type of ['image/jpeg', 'image/png', 'image/webp', 'image/gif'])
      expect(problem.error).toContain(type);
  });
});

describe('idempotency', () => {
  it('replays the same response for the same key and payload, using no second slot', async () => {
    const s = await createSession();
    const headers = { 'idempotency-key': 'key-replay-1' };
    const first = await upload(s.session_id, jpeg, { headers });
    const second = await upload(s.session_id, jpeg, { headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(second)).toEqual(await json(first));
    expect((await json(await server.call(`/v1/session/${s.session_id}`, alice))).image_count).toBe(1);
  });

  it('answers 422 for the same key with a different payload', async () => {
    const s = await createSession();
    const headers = { 'idempotency-key': 'key-mismatch-1' };
    expect((await upload(s.session_id, jpeg, { headers })).status).toBe(201);
    const other = await sharp(jpeg).flop().jpeg().toBuffer();
    const res = await upload(s.session_id, other, { headers });
    expectProblem(await json(res), 422, 'idempotency_conflict');
  });

  it('creates one image from 50 identical concurrent requests', async () => {
    const s = await createSession('idem');
    const headers = { 'idempotency-key': 'key-burst-1' };
    const results = await Promise.all(
      Array.from({ length: 50 }, () => upload(s.session_id, jpeg, { user: 'idem', headers })),
    );
    const codes = results.map((r) => r.status);
    expect(codes.every((c) => c === 201 || c === 409)).toBe(true);
    const created = await Promise.all(results.filter((r) => r.status === 201).map(json));
    expect(new Set(created.map((i) => i.image_id)).size).toBe(1);
    for (const r of results.filter((r) => r.status === 409))
      expect((await json(r)).code).toBe('idempotency_conflict');
    expect((await json(await server.call(`/v1/session/${s.session_id}`, { user: 'idem' }))).image_count).toBe(
      1,
    );
  });
});

describe('hostile input', () => {
  it('answers each with its documented problem, stays healthy and leaves no stray files', async () => {
    const cases = await hostileCases();
    expect(cases.length).toBeGreaterThanOrEqual(25);
    const s = await createSession('hostile');
    const blobsBefore = server.files();
    for (const c of cases) {
      const { path, init } = c.request(s.session_id as string);
      const headers = new Headers(init.headers);
      headers.set('user_id', 'hostile');
      const res = await fetch(`${server.url}${path}`, { ...init, headers });
      const ct = res.headers.get('content-type');
      const raw = await res.clone().text();
      expect(ct, `${c.name}: ${raw}`).toMatch(/^application\/problem\+json/);
      const body = await json(res);
      expect({ name: c.name, status: res.status, code: body.code }).toEqual({
        name: c.name,
        status: c.status,
        code: c.code,
      });
      expectProblem(body, c.status, c.code);
    }
    expect((await server.call('/healthz')).status).toBe(200);
    expect(
      (await json(await server.call(`/v1/session/${s.session_id}`, { user: 'hostile' }))).image_count,
    ).toBe(0);
    expect(server.files()).toEqual(blobsBefore);
    expect(server.files().filter((f) => f.includes('.tmp') || f.includes('uploads'))).toEqual([]);
  });

  it('refuses requests without credentials', async () => {
    const res = await server.call('/v1/sessions');
    expectProblem(await json(res), 401, 'unauthorized');
  });
});

describe('expiry and persistence', () => {
  it('refuses uploads to an expired session with 410 and reports it expired', async () => {
    let clock = Date.now();
    const timed = await startTestServer({}, { now: () => clock });
    try {
      const res = await timed.call('/v1/session', {
        method: 'POST',
        user: 'alice',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ttl_seconds: 60 }),
      });
      const s = await json(res);
      clock += 61_000;
      const up = await timed.call(`/v1/image/${s.session_id}`, {
        method: 'POST',
        user: 'alice',
        body: imageForm(jpeg),
      });
      expectProblem(await json(up), 410, 'session_expired');
      expect((await json(await timed.call(`/v1/session/${s.session_id}`, { user: 'alice' }))).status).toBe(
        'expired',
      );
      expect(timed.files().filter((f) => f.startsWith('blobs/images'))).toEqual([]);
    } finally {
      await timed.dispose();
    }
  });

  it('keeps sessions and images across a restart on the same data dir', async () => {
    const first = await startTestServer();
    const s = await json(
      await first.call('/v1/session', {
        method: 'POST',
        user: 'alice',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    );
    const image = await json(
      await first.call(`/v1/image/${s.session_id}`, { method: 'POST', user: 'alice', body: imageForm(jpeg) }),
    );
    await first.close();
    const second = await startTestServer({}, { dataDir: first.dataDir });
    try {
      const summary = await json(await second.call(`/v1/session/${s.session_id}`, { user: 'alice' }));
      expect(summary.images.map((i: { image_id: string }) => i.image_id)).toEqual([image.image_id]);
    } finally {
      await second.dispose();
    }
  });
});

describe('operations', () => {
  it('serves health, readiness, metrics, the document and the docs page without credentials', async () => {
    expect(await json(await server.call('/healthz'))).toEqual({ status: 'ok' });
    const ready = await json(await server.call('/readyz'));
    expectSchema('Readiness', ready);
    expect(ready.status).toBe('ready');
    const metrics = await (await server.call('/metrics')).text();
    expect(metrics).toContain('face_encode_queue_depth');
    expect(metrics).toContain('face_encode_http_request_duration_seconds');
    expect(metrics).toContain('face_encode_encode_duration_seconds');
    const doc = await json(await server.call('/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    const docs = await server.call('/docs');
    expect(docs.headers.get('content-type')).toMatch(/text\/html/);
    const html = await docs.text();
    // The page itself is Scalar's reference (test/http/api-reference.test.ts reads it in Chromium).
    expect(html).toContain('src="docs/assets/api-reference.js"');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('sends the documented rate-limit headers and a 429 problem with Retry-After', async () => {
    const limited = await startTestServer({ rateLimitMax: 3 });
    try {
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) last = await limited.call('/v1/sessions', { user: 'busy' });
      expect(last?.status).toBe(429);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last?.headers.get('ratelimit-policy')).toMatch(/^3;w=\d+$/);
      expectProblem(await json(last as Response), 429, 'rate_limited');
      // Limits are per user.
      const other = await limited.call('/v1/sessions', { user: 'calm' });
      expect(other.status).toBe(200);
      expect(other.headers.get('ratelimit')).toMatch(/limit=3, remaining=2/);
    } finally {
      await limited.dispose();
    }
  });

  it('answers CORS preflights for configured origins', async () => {
    const withCors = await startTestServer({ corsOrigins: ['http://app.test'] });
    try {
      const res = await fetch(`${withCors.url}/v1/session`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://app.test',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'user_id,idempotency-key',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('http://app.test');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/idempotency-key/);
    } finally {
      await withCors.dispose();
    }
  });
});
