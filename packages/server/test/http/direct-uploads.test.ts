// Direct-to-storage uploads (issue 14) through real HTTP, on both upload targets with the same client
// code: the file store (the server's own PUT /v1/uploads/{token}) and S3 (a presigned PUT to radosgw).
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { radosgwMissing, startRadosgw, type Radosgw } from '../../src/dev/radosgw.js';
import type { ServerConfig } from '../../src/config.js';
import { sample } from '../encoder/sample-images.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

const missing = radosgwMissing();
const skipS3 = missing !== null && !process.env.CI;
if (skipS3) console.warn(`Direct-upload S3 tests skipped: ${missing}. With CI set they fail instead.`);

const b64 = (algorithm: 'sha256' | 'md5', bytes: Uint8Array) =>
  createHash(algorithm).update(bytes).digest('base64');

interface Reservation {
  image_id: string;
  upload: { method: string; url: string; headers: Record<string, string>; expires_at: string };
}

let rgw: Radosgw | undefined;
let buckets = 0;

beforeAll(async () => {
  if (skipS3) return;
  rgw = await startRadosgw();
  vi.stubEnv('AWS_ACCESS_KEY_ID', rgw.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', rgw.secretAccessKey);
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await rgw?.stop();
});

const targets: Array<{ name: string; skip: boolean; config: () => Promise<Partial<ServerConfig>> }> = [
  { name: 'file store', skip: false, config: async () => ({}) },
  {
    name: 'S3 (radosgw)',
    skip: skipS3,
    config: async () => {
      const bucket = `direct-${++buckets}`;
      await rgw!.createBucket(bucket);
      return {
        blobUrl: `s3://${bucket}/blobs`,
        s3Endpoint: rgw!.endpoint,
        s3Region: rgw!.region,
        s3ForcePathStyle: true,
      };
    },
  },
];

describe.each(targets)('direct uploads: $name', ({ skip, config }) => {
  let server: TestServer;
  let clock = Date.now();
  let jpeg: Buffer;
  /** The engines' part of the server's config (its S3 bucket), for a second process on the same data. */
  let engineConfig: Partial<ServerConfig>;

  beforeAll(async () => {
    if (skip) return;
    jpeg = await sharp(sample(2))
      .resize(320)
      .withMetadata({ exif: { IFD0: { Copyright: 'secret' } } })
      .jpeg()
      .toBuffer();
    engineConfig = await config();
    server = await startTestServer({ ...engineConfig, uploadUrlTtlSeconds: 60 }, { now: () => clock });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const session = async (user = 'alice') => {
    const res = await server.call('/v1/session', { method: 'POST', user });
    return ((await res.json()) as { session_id: string }).session_id;
  };
  const reserve = (
    sessionId: string,
    bytes: Uint8Array,
    extra: Record<string, unknown> = {},
    user = 'alice',
    headers: Record<string, string> = {},
  ) =>
    server.call(`/v1/image/${sessionId}/upload-url`, {
      method: 'POST',
      user,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        image_name: 'direct.jpg',
        content_type: 'image/jpeg',
        size_bytes: bytes.byteLength,
        sha256: b64('sha256', bytes),
        md5: b64('md5', bytes),
        ...extra,
      }),
    });
  const reserveOk = async (sessionId: string, bytes: Uint8Array, extra: Record<string, unknown> = {}) => {
    const res = await reserve(sessionId, bytes, extra);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Reservation;
  };
  /** What any client does with `upload`: the method, the URL, the headers as given, the bytes. */
  const put = (r: Reservation, body: Uint8Array, headers: Record<string, string> = {}) =>
    fetch(r.upload.url, {
      method: r.upload.method,
      headers: { ...r.upload.headers, ...headers },
      body: new Uint8Array(body),
    });
  const complete = (sessionId: string, imageId: string, user = 'alice') =>
    server.call(`/v1/image/${sessionId}/${imageId}/complete`, { method: 'POST', user });
  const image = async (sessionId: string, imageId: string) =>
    (await (await server.call(`/v1/image/${sessionId}/${imageId}`, { user: 'alice' })).json()) as {
      status: string;
      error: { code: string } | null;
    };

  it.skipIf(skip)('reserves, uploads straight to storage, completes and queues the image', async () => {
    const s = await session();
    const r = await reserveOk(s, jpeg);
    expect(r.upload.method).toBe('PUT');
    expect(Date.parse(r.upload.expires_at)).toBe(clock + 60_000);
    expect(await image(s, r.image_id)).toMatchObject({ status: 'awaiting_upload' });
    expect((await put(r, jpeg)).status).toBeLessThan(300);
    const done = await complete(s, r.image_id);
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.json()).toMatchObject({
      image_id: r.image_id,
      status: 'queued',
      image_name: 'direct.jpg',
      size_bytes: jpeg.byteLength,
      sha256: createHash('sha256').update(jpeg).digest('hex'),
    });
    // Completing twice is refused; the image keeps its one slot.
    expect((await complete(s, r.image_id)).status).toBe(409);
  });

  it.skipIf(skip)('strips EXIF from what it stores, as uploads do', async () => {
    // On S3 there are no local files to look at: the same normalization runs, checked here on the file store.
    const s = await session();
    const r = await reserveOk(s, jpeg);
    await put(r, jpeg);
    expect((await complete(s, r.image_id)).status).toBe(200);
    const stored = server.files().filter((f) => f.startsWith('blobs/images/'));
    for (const file of stored) {
      const meta = await sharp(`${server.dataDir}/${file}`).metadata();
      expect(meta.exif).toBeUndefined();
    }
  });

  it.skipIf(skip)(
    'an object swapped in storage after completion: the worker fails it digest_mismatch and deletes it',
    async () => {
      const s = await session();
      const r = await reserveOk(s, jpeg);
      await put(r, jpeg);
      // Completed on this API-only process (no workers): the checked copy waits in the queue.
      expect(await (await complete(s, r.image_id)).json()).toMatchObject({ status: 'queued' });
      const { blobKey } = (await server.store.getImageForJob(r.image_id)) ?? {};
      expect(blobKey).toMatch(/^images\//);
      // Someone with write access to the storage replaces it with another, valid, image.
      const swapped = await sharp(sample(1)).resize(320).jpeg().toBuffer();
      await server.engines.blobs.put(blobKey as string, swapped);
      // Then a worker process on the same data and storage takes the job.
      const worker = await startTestServer(
        { ...engineConfig, workers: 1 },
        { dataDir: server.dataDir, now: () => clock },
      );
      try {
        let seen = await image(s, r.image_id);
        for (let i = 0; i < 600 && seen.status !== 'failed' && seen.status !== 'done'; i++) {
          await new Promise((done) => setTimeout(done, 100));
          seen = await image(s, r.image_id);
        }
        expect(seen).toMatchObject({ status: 'failed', error: { code: 'digest_mismatch' } });
        expect(await worker.engines.blobs.get(blobKey as string)).toBeNull();
        expect(await server.engines.blobs.get(blobKey as string)).toBeNull();
      } finally {
        // close, not dispose: the data dir is the API server's.
        await worker.close();
      }
    },
    90_000,
  );

  it.skipIf(skip)('storage refuses a body that does not match the declared checksum', async () => {
    const s = await session();
    const r = await reserveOk(s, jpeg);
    const other = Buffer.from(jpeg);
    other.writeUInt8(other.readUInt8(other.length - 10) ^ 0xff, other.length - 10);
    const res = await put(r, other);
    expect(res.status).toBe(400);
    expect((await complete(s, r.image_id)).status).toBe(409);
    expect(await image(s, r.image_id)).toMatchObject({ status: 'awaiting_upload' });
  });

  it.skipIf(skip)('refuses an oversize body, and an oversize reservation up front', async () => {
    const s = await session();
    const r = await reserveOk(s, jpeg);
    const res = await put(r, Buffer.concat([jpeg, Buffer.alloc(1000)]));
    expect([400, 403, 413]).toContain(res.status);
    expect((await complete(s, r.image_id)).status).toBe(409);
    const big = await reserve(s, jpeg, { size_bytes: 9 * 2 ** 20 });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'file_too_large' });
    const type = await reserve(s, jpeg, { content_type: 'image/tiff' });
    expect(type.status).toBe(400);
  });

  it.skipIf(skip)('a URL is good for one upload only', async () => {
    const s = await session();
    const r = await reserveOk(s, jpeg);
    expect((await put(r, jpeg)).status).toBeLessThan(300);
    // Before completion: the object is there, the URL is spent.
    expect((await put(r, jpeg)).status).toBeGreaterThanOrEqual(400);
    expect((await complete(s, r.image_id)).status).toBe(200);
    // After: the URL cannot reach the image's checked copy either.
    const again = await put(r, jpeg);
    if (again.status < 300) {
      // S3 allows the write again once the raw upload was removed; it lands on the spent upload key,
      // which no record references, and the image is untouched.
      expect(await image(s, r.image_id)).toMatchObject({ status: 'queued' });
    }
  });

  it.skipIf(skip)(
    'fails the image and deletes the object when the upload is not what was declared',
    async () => {
      const s = await session();
      // Declared and uploaded consistently, but not an image: storage accepts it, complete does not.
      const junk = Buffer.from('not an image, just some bytes pretending to be one');
      const r = await reserveOk(s, junk);
      expect((await put(r, junk)).status).toBeLessThan(300);
      const res = await complete(s, r.image_id);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid_image' });
      expect(await image(s, r.image_id)).toMatchObject({
        status: 'failed',
        error: { code: 'invalid_image' },
      });
      // The object went with it: the spent URL finds no object to protect, yet the image stays failed.
      expect((await complete(s, r.image_id)).status).toBe(409);
    },
  );

  it.skipIf(skip)('the 6th reservation gets too_many_images', async () => {
    const s = await session();
    for (let i = 0; i < 5; i++) await reserveOk(s, jpeg);
    const sixth = await reserve(s, jpeg);
    expect(sixth.status).toBe(400);
    expect(await sixth.json()).toMatchObject({
      code: 'too_many_images',
      detail: 'Too many images. Limit is 5 images per session.',
    });
  });

  it.skipIf(skip)(
    'a reservation retried under its Idempotency-Key replays it and takes no second slot',
    async () => {
      const s = await session();
      const key = { 'idempotency-key': 'reserve-1' };
      const first = await reserve(s, jpeg, {}, 'alice', key);
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const r = (await first.json()) as Reservation;
      const again = await reserve(s, jpeg, {}, 'alice', key);
      expect(again.status, await again.clone().text()).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('location')).toBe(`/v1/image/${s}/${r.image_id}`);
      expect(await again.json()).toEqual(r);
      // Still replayed once the session is full: the retry is the same reservation, not a 6th.
      for (let i = 0; i < 4; i++) await reserveOk(s, jpeg);
      const full = await reserve(s, jpeg, {}, 'alice', key);
      expect(full.status).toBe(201);
      expect(((await full.json()) as Reservation).image_id).toBe(r.image_id);
      const listed = await server.call(`/v1/session/${s}`, { user: 'alice' });
      expect(((await listed.json()) as { images: unknown[] }).images).toHaveLength(5);
      // The same key with another payload is refused, as for uploads.
      const other = await reserve(s, jpeg, { image_name: 'other.jpg' }, 'alice', key);
      expect(other.status).toBe(422);
      expect(await other.json()).toMatchObject({ code: 'idempotency_conflict' });
      // The replayed URL is the reservation's own: it takes the bytes, and the image completes.
      expect((await put(r, jpeg)).status).toBeLessThan(300);
      expect((await complete(s, r.image_id)).status).toBe(200);
    },
  );

  it.skipIf(skip)('reservations racing uploads for the last slots: exactly 5 win', async () => {
    const s = await session();
    for (let i = 0; i < 3; i++) await reserveOk(s, jpeg);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2
          ? reserve(s, jpeg)
          : server.call(`/v1/image/${s}`, { method: 'POST', user: 'alice', body: imageForm(jpeg) }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status === 400)).toHaveLength(4);
    const listed = await server.call(`/v1/session/${s}`, { user: 'alice' });
    expect(((await listed.json()) as { images: unknown[] }).images).toHaveLength(5);
  });

  it.skipIf(skip)("another user's session or image is 404", async () => {
    const s = await session();
    const r = await reserveOk(s, jpeg);
    expect((await reserve(s, jpeg, {}, 'mallory')).status).toBe(404);
    const theirs = await complete(s, r.image_id, 'mallory');
    expect(theirs.status).toBe(404);
    expect(await theirs.json()).toMatchObject({ code: 'session_not_found' });
    const other = await session('mallory');
    expect((await complete(other, r.image_id, 'mallory')).status).toBe(404);
  });

  it.skipIf(skip)('the upload target refuses a URL past its expiry, and nothing is stored', async () => {
    // Real time, not the suite's clock: S3 checks a presigned URL's expiry against its own clock.
    const brief = await startTestServer({ ...engineConfig, uploadUrlTtlSeconds: 3 });
    try {
      const created = await brief.call('/v1/session', { method: 'POST', user: 'alice' });
      const s = ((await created.json()) as { session_id: string }).session_id;
      const reserveBrief = async () => {
        const res = await brief.call(`/v1/image/${s}/upload-url`, {
          method: 'POST',
          user: 'alice',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            content_type: 'image/jpeg',
            size_bytes: jpeg.byteLength,
            sha256: b64('sha256', jpeg),
            md5: b64('md5', jpeg),
          }),
        });
        return (await res.json()) as Reservation;
      };
      const inTime = await reserveBrief();
      const late = await reserveBrief();
      // The same kind of URL used within its 3 s goes through, so the refusal below is the expiry.
      expect((await put(inTime, jpeg)).status).toBeLessThan(300);
      await new Promise((done) => setTimeout(done, 4000));
      const refused = await put(late, jpeg);
      expect(refused.status).toBe(403);
      // The file store says why; radosgw answers a bare AccessDenied.
      expect(await refused.text()).toMatch(/expired at|<Code>AccessDenied<\/Code>/);
      const { blobKey } = (await brief.store.getImageForJob(late.image_id)) ?? {};
      expect(await brief.engines.blobs.get(blobKey as string)).toBeNull();
      const completed = await brief.call(`/v1/image/${s}/${late.image_id}/complete`, {
        method: 'POST',
        user: 'alice',
      });
      expect(completed.status).toBe(410);
    } finally {
      await brief.dispose();
    }
  });

  it.skipIf(skip)(
    'an expired reservation is refused, and cleanup frees its slot and deletes the object',
    async () => {
      const s = await session();
      const r = await reserveOk(s, jpeg);
      expect((await put(r, jpeg)).status).toBeLessThan(300);
      clock += 61_000;
      {
        const late = await complete(s, r.image_id);
        expect(late.status).toBe(410);
        expect(await late.json()).toMatchObject({ code: 'upload_expired' });
        const report = await server.pipeline.cleanup();
        expect(report?.reservations).toBeGreaterThanOrEqual(1);
        expect((await server.call(`/v1/image/${s}/${r.image_id}`, { user: 'alice' })).status).toBe(404);
        const got = await server.call(`/v1/session/${s}`, { user: 'alice' });
        expect(await got.json()).toMatchObject({ images: [] });
        // The slot is back.
        for (let i = 0; i < 5; i++) await reserveOk(s, jpeg);
      }
    },
  );
});

describe('direct uploads: the file-store target', () => {
  let server: TestServer;
  let clock = Date.now();
  beforeAll(async () => {
    server = await startTestServer({ uploadUrlTtlSeconds: 60 }, { now: () => clock });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const reservation = async (bytes: Uint8Array) => {
    const created = await server.call('/v1/session', { method: 'POST', user: 'alice' });
    const { session_id } = (await created.json()) as { session_id: string };
    const res = await server.call(`/v1/image/${session_id}/upload-url`, {
      method: 'POST',
      user: 'alice',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        content_type: 'image/png',
        size_bytes: bytes.byteLength,
        sha256: b64('sha256', bytes),
      }),
    });
    return (await res.json()) as Reservation;
  };

  it('points at the API itself with a signed token, and needs no md5', async () => {
    const r = await reservation(Buffer.from('x'));
    expect(r.upload.url).toMatch(new RegExp(`^${server.url}/v1/uploads/[\\w-]+\\.[a-z0-9]+\\.[\\w-]+$`));
    expect(r.upload.headers).toEqual({ 'content-type': 'image/png' });
  });

  it('refuses a tampered or expired token with upload_url_invalid', async () => {
    const bytes = Buffer.from('some bytes');
    const r = await reservation(bytes);
    // The signature's first character: the last one of a base64url MAC also holds padding bits.
    const tampered = r.upload.url.replace(
      /\.([\w-])([\w-]+)$/,
      (_, c: string, rest: string) => `.${c === 'A' ? 'B' : 'A'}${rest}`,
    );
    const bad = await fetch(tampered, { method: 'PUT', headers: r.upload.headers, body: bytes });
    expect(bad.status).toBe(403);
    expect(await bad.json()).toMatchObject({ code: 'upload_url_invalid' });
    clock += 61_000;
    const late = await fetch(r.upload.url, { method: 'PUT', headers: r.upload.headers, body: bytes });
    expect(late.status).toBe(403);
    expect(await late.json()).toMatchObject({
      code: 'upload_url_invalid',
      detail: expect.stringMatching(/expired/),
    });
  });
});
