// The behaviour every MetadataStore adapter must have. An adapter's test file calls
// `metadataStoreConformance(name, factory)`; the factory gives each test a fresh, empty store.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetadataStore, NewImage } from '../../src/storage/metadata-store.js';
import type { FaceRecord, SessionRecord } from '../../src/storage/records.js';

export interface MetadataStoreFixture {
  store: MetadataStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
export const MODEL = { id: 'face-api/ssd_mobilenetv1+landmark68+resnet34', version: '1.7.15' };
const HOUR = 3_600_000;

export function sampleFace(seed = 1): FaceRecord {
  return {
    box: { x: 10 * seed, y: 20, width: 120, height: 140 },
    score: 0.987654321,
    landmarks: Array.from({ length: 68 }, (_, i) => ({ x: i + 0.25, y: i * 2 + 0.5 })),
    // Awkward floats, so a lossy storage format would show.
    encoding: Array.from({ length: 128 }, (_, i) => Math.sin(i * seed) / 3),
    quality: { face_px: 140, brightness: 0.51, sharpness: 0.32, yaw: -3.5, roll: 1.25 },
  };
}

export async function createSession(
  store: MetadataStore,
  opts: { userId?: string; now?: number; ttlSeconds?: number; id?: string; callbackUrl?: string | null } = {},
): Promise<SessionRecord> {
  return store.createSession({
    id: opts.id ?? randomUUID(),
    userId: opts.userId ?? 'user-a',
    ttlSeconds: opts.ttlSeconds ?? 3600,
    vendorData: 'vendor-1',
    callbackUrl: opts.callbackUrl ?? null,
    webhookSecret: opts.callbackUrl ? 'whsec_test' : null,
    now: opts.now ?? T0,
  });
}

export function newImage(
  session: { id: string; userId: string },
  overrides: Partial<NewImage> = {},
): NewImage {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    userId: session.userId,
    sessionId: session.id,
    imageName: 'selfie.jpg',
    contentType: 'image/jpeg',
    sizeBytes: 1234,
    sha256: 'a'.repeat(64),
    blobKey: `images/${session.id}/${id}`,
    maxImages: 5,
    maxAttempts: 3,
    now: T0 + 1000,
    ...overrides,
  };
}

export async function addImageOk(
  store: MetadataStore,
  session: { id: string; userId: string },
  overrides: Partial<NewImage> = {},
) {
  const result = await store.addImage(newImage(session, overrides));
  if (!result.ok) throw new Error(`addImage refused: ${result.reason}`);
  return result.image;
}

export function metadataStoreConformance(name: string, factory: () => Promise<MetadataStoreFixture>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let fixture: MetadataStoreFixture;
    let store: MetadataStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('sessions', () => {
      it('creates a session and reads it back only for its owner', async () => {
        const created = await createSession(store, {
          ttlSeconds: 600,
          callbackUrl: 'https://example.com/hook',
        });
        expect(created).toMatchObject({
          userId: 'user-a',
          state: 'open',
          createdAt: T0,
          expiresAt: T0 + 600_000,
          vendorData: 'vendor-1',
          callbackUrl: 'https://example.com/hook',
          webhookSecret: 'whsec_test',
          imageCount: 0,
        });
        expect(await store.getSession('user-a', created.id)).toEqual(created);
        expect(await store.getSession('user-b', created.id)).toBeNull();
        expect(await store.getSession('user-a', randomUUID())).toBeNull();
      });

      it('creates sessions asked for at once, each with its own fields', async () => {
        const created = await Promise.all([
          createSession(store, { ttlSeconds: 60 }),
          createSession(store, { callbackUrl: 'https://example.com/hook', now: T0 + 1 }),
          createSession(store, { userId: 'user-b', now: T0 + 2 }),
        ]);
        expect(
          created.map((s) => [s.userId, s.expiresAt, s.callbackUrl, s.webhookSecret, s.vendorData]),
        ).toEqual([
          ['user-a', T0 + 60_000, null, null, 'vendor-1'],
          ['user-a', T0 + 1 + 3_600_000, 'https://example.com/hook', 'whsec_test', 'vendor-1'],
          ['user-b', T0 + 2 + 3_600_000, null, null, 'vendor-1'],
        ]);
        for (const s of created) expect(await store.getSession(s.userId, s.id)).toEqual(s);
      });

      it('reads sessions asked for at once, each only for its owner', async () => {
        const a = await createSession(store);
        const b = await createSession(store, { userId: 'user-b', now: T0 + 1 });
        const reads = await Promise.all([
          store.getSession('user-a', a.id),
          store.getSession('user-b', b.id),
          store.getSession('user-b', a.id),
          store.getSession('user-a', b.id),
          store.getSession('user-a', a.id),
          store.getSession('user-a', randomUUID()),
        ]);
        expect(reads).toEqual([a, b, null, null, a, null]);
      });

      it('creates sessions asked for at once, refusing only one whose id is taken', async () => {
        const taken = await createSession(store);
        const ids = [randomUUID(), randomUUID(), taken.id, randomUUID()];
        const results = await Promise.allSettled(
          ids.map((id, i) => createSession(store, { id, now: T0 + i })),
        );
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
        for (const [i, r] of results.entries())
          if (r.status === 'fulfilled')
            expect(await store.getSession('user-a', ids[i] as string)).toEqual(r.value);
        // The taken session is unchanged.
        expect(await store.getSession('user-a', taken.id)).toEqual(taken);
        const listed = await store.listSessions('user-a', { limit: 10, cursor: null, state: null, now: T0 });
        expect(listed).toHaveLength(4);
      });

      it('lists each session with every field as it reads one back', async () => {
        const hooked = await createSession(store, { callbackUrl: 'https://example.com/hook' });
        const plain = await createSession(store, { now: T0 + 1 });
        const listed = await store.listSessions('user-a', { limit: 10, cursor: null, state: null, now: T0 });
        expect(listed).toEqual([plain, hooked]);
        expect(listed).toEqual([
          await store.getSession('user-a', plain.id),
          await store.getSession('user-a', hooked.id),
        ]);
      });

      it('lists newest first and pages with a cursor without gaps or repeats', async () => {
        // Two sessions share a timestamp, so the id must break the tie.
        const times = [T0, T0 + 1, T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5];
        const created: SessionRecord[] = [];
        for (const now of times) created.push(await createSession(store, { now }));
        await createSession(store, { userId: 'user-b', now: T0 + 10 });

        const expected = [...created]
          .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
          .map((s) => s.id);

        const seen: string[] = [];
        let cursor: { createdAt: number; id: string } | null = null;
        for (let page = 0; page < 10; page++) {
          const items: SessionRecord[] = await store.listSessions('user-a', {
            limit: 3,
            cursor,
            state: null,
            now: T0,
          });
          expect(items.length).toBeLessThanOrEqual(3);
          seen.push(...items.map((s) => s.id));
          const last = items.at(-1);
          if (items.length < 3 || !last) break;
          cursor = { createdAt: last.createdAt, id: last.id };
        }
        expect(seen).toEqual(expected);
      });

      it('filters by state, with expired derived from expiresAt', async () => {
        const open = await createSession(store, { now: T0 });
        const processing = await createSession(store, { now: T0 + 1 });
        await addImageOk(store, processing);
        const completed = await createSession(store, { now: T0 + 2 });
        const image = await addImageOk(store, completed);
        await store.finishImage({
          imageId: image.id,
          attemptKey: `${image.id}:1`,
          now: T0 + 2000,
          outcome: { status: 'done', width: 640, height: 480, faces: [], model: MODEL },
        });
        const expired = await createSession(store, { now: T0 - 2 * HOUR, ttlSeconds: 60 });
        const now = T0 + 5000;

        const ids = async (state: 'open' | 'processing' | 'completed' | 'expired' | null) =>
          (await store.listSessions('user-a', { limit: 100, cursor: null, state, now })).map((s) => s.id);

        expect(await ids('open')).toEqual([open.id]);
        expect(await ids('processing')).toEqual([processing.id]);
        expect(await ids('completed')).toEqual([completed.id]);
        expect(await ids('expired')).toEqual([expired.id]);
        expect(await ids(null)).toHaveLength(4);
        // Once past expiry, even a completed session counts as expired only.
        const later = completed.expiresAt + 1;
        const expiredLater = await store.listSessions('user-a', {
          limit: 100,
          cursor: null,
          state: 'expired',
          now: later,
        });
        expect(expiredLater.map((s) => s.id)).toContain(completed.id);
        const completedLater = await store.listSessions('user-a', {
          limit: 100,
          cursor: null,
          state: 'completed',
          now: later,
        });
        expect(completedLater).toEqual([]);
      });

      it('answers lists asked at once each by its own user, cursor, filter and size', async () => {
        const mine: SessionRecord[] = [];
        for (let i = 0; i < 5; i++) mine.push(await createSession(store, { now: T0 + i }));
        const theirs = await createSession(store, { userId: 'user-b', now: T0 + 2 });
        const expired = await createSession(store, { now: T0 - 2 * HOUR, ttlSeconds: 60 });
        const newest = [...mine].reverse().map((s) => s.id);
        const second = mine[3] as SessionRecord;
        const all = { cursor: null, state: null, now: T0 };
        const lists = await Promise.all([
          store.listSessions('user-a', { ...all, limit: 2 }),
          store.listSessions('user-a', {
            ...all,
            limit: 10,
            cursor: { createdAt: second.createdAt, id: second.id },
          }),
          store.listSessions('user-b', { ...all, limit: 10 }),
          store.listSessions('user-a', { ...all, limit: 10, state: 'expired' }),
          store.listSessions('user-a', { ...all, limit: 10, state: 'open' }),
          store.listSessions('user-c', { ...all, limit: 10 }),
        ]);
        expect(lists.map((list) => list.map((s) => s.id))).toEqual([
          newest.slice(0, 2),
          [...newest.slice(2), expired.id],
          [theirs.id],
          [expired.id],
          newest,
          [],
        ]);
        expect(lists[2]).toEqual([theirs]);
      });

      it('never lists another user’s sessions', async () => {
        await createSession(store, { userId: 'user-b' });
        expect(await store.listSessions('user-a', { limit: 10, cursor: null, state: null, now: T0 })).toEqual(
          [],
        );
      });
    });

    describe('images', () => {
      it('adds an image with its fields and counts it on the session', async () => {
        const session = await createSession(store);
        const input = newImage(session, { imageName: 'me.png', contentType: 'image/png', sizeBytes: 99 });
        const result = await store.addImage(input);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.image).toMatchObject({
          id: input.id,
          sessionId: session.id,
          userId: 'user-a',
          imageName: 'me.png',
          contentType: 'image/png',
          sizeBytes: 99,
          sha256: input.sha256,
          width: null,
          height: null,
          status: 'queued',
          error: null,
          createdAt: input.now,
          completedAt: null,
          blobKey: input.blobKey,
          faces: [],
        });
        expect(await store.getImage('user-a', session.id, input.id)).toEqual(result.image);
        expect((await store.getSession('user-a', session.id))?.imageCount).toBe(1);
      });

      it('accepts exactly maxImages of 10 concurrent uploads to one session', async () => {
        const session = await createSession(store);
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store.addImage(newImage(session))),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(5);
        expect(results.filter((r) => !r.ok && r.reason === 'too_many_images')).toHaveLength(5);
        expect(await store.listImages('user-a', session.id)).toHaveLength(5);
        expect((await store.getSession('user-a', session.id))?.imageCount).toBe(5);
      });

      it('refuses uploads to a missing, foreign or expired session', async () => {
        const session = await createSession(store, { ttlSeconds: 60 });
        expect(await store.addImage(newImage({ id: randomUUID(), userId: 'user-a' }))).toEqual({
          ok: false,
          reason: 'session_not_found',
        });
        expect(await store.addImage(newImage({ id: session.id, userId: 'user-b' }))).toEqual({
          ok: false,
          reason: 'session_not_found',
        });
        expect(await store.addImage(newImage(session, { now: session.expiresAt + 1 }))).toEqual({
          ok: false,
          reason: 'session_expired',
        });
        expect((await store.getSession('user-a', session.id))?.imageCount).toBe(0);
      });

      it('hides images from other users', async () => {
        const session = await createSession(store);
        const image = await addImageOk(store, session);
        expect(await store.getImage('user-b', session.id, image.id)).toBeNull();
        expect(await store.getImage('user-a', randomUUID(), image.id)).toBeNull();
        expect(await store.listImages('user-b', session.id)).toEqual([]);
      });

      it('lists images in upload order', async () => {
        const session = await createSession(store);
        const a = await addImageOk(store, session, { now: T0 + 1 });
        const b = await addImageOk(store, session, { now: T0 + 2 });
        const c = await addImageOk(store, session, { now: T0 + 3 });
        expect((await store.listImages('user-a', session.id)).map((i) => i.id)).toEqual([a.id, b.id, c.id]);
      });

      it('lists the images of sessions asked for at once, each in upload order and only for its owner', async () => {
        const one = await createSession(store);
        const two = await createSession(store, { now: T0 + 1 });
        const empty = await createSession(store, { now: T0 + 2 });
        const a = await addImageOk(store, one, { now: T0 + 3 });
        const b = await addImageOk(store, two, { now: T0 + 4 });
        const c = await addImageOk(store, one, { now: T0 + 5 });
        const asks: Array<[string, string]> = [
          ['user-a', one.id],
          ['user-a', two.id],
          ['user-b', one.id],
          ['user-a', empty.id],
          ['user-a', one.id],
        ];
        const lists = await Promise.all(asks.map(([user, session]) => store.listImages(user, session)));
        expect(lists.map((l) => l.map((i) => i.id))).toEqual([[a.id, c.id], [b.id], [], [], [a.id, c.id]]);
        expect(lists[0]).toEqual(await store.listImages('user-a', one.id));
      });

      it('moves the session open → processing → completed as images finish', async () => {
        const session = await createSession(store);
        expect(session.state).toBe('open');
        const first = await addImageOk(store, session);
        const second = await addImageOk(store, session);
        expect((await store.getSession('user-a', session.id))?.state).toBe('processing');

        await store.markImageProcessing(first.id);
        expect((await store.getImage('user-a', session.id, first.id))?.status).toBe('processing');

        const r1 = await store.finishImage({
          imageId: first.id,
          attemptKey: `${first.id}:1`,
          now: T0 + 5000,
          outcome: {
            status: 'done',
            width: 640,
            height: 480,
            faces: [sampleFace(1), sampleFace(2)],
            model: MODEL,
          },
        });
        expect(r1).toEqual({ written: true, sessionId: session.id, sessionCompleted: false });
        expect((await store.getSession('user-a', session.id))?.state).toBe('processing');

        const r2 = await store.finishImage({
          imageId: second.id,
          attemptKey: `${second.id}:3`,
          now: T0 + 6000,
          outcome: { status: 'failed', error: { code: 'invalid_image', message: 'Not an image.' } },
        });
        expect(r2).toEqual({ written: true, sessionId: session.id, sessionCompleted: true });
        expect((await store.getSession('user-a', session.id))?.state).toBe('completed');

        const done = await store.getImage('user-a', session.id, first.id, { landmarks: true });
        expect(done).toMatchObject({
          status: 'done',
          width: 640,
          height: 480,
          completedAt: T0 + 5000,
          error: null,
        });
        expect(done?.faces).toEqual([sampleFace(1), sampleFace(2)]);
        const failed = await store.getImage('user-a', session.id, second.id);
        expect(failed).toMatchObject({
          status: 'failed',
          error: { code: 'invalid_image', message: 'Not an image.' },
          completedAt: T0 + 6000,
          faces: [],
        });

        // A later upload reopens the work.
        await addImageOk(store, session);
        expect((await store.getSession('user-a', session.id))?.state).toBe('processing');
      });

      it('reads the landmarks of faces only when asked', async () => {
        const session = await createSession(store);
        const image = await addImageOk(store, session);
        const faces = [sampleFace(1), sampleFace(2)];
        await store.finishImage({
          imageId: image.id,
          attemptKey: `${image.id}:1`,
          now: T0 + 1000,
          outcome: { status: 'done', width: 640, height: 480, faces, model: MODEL },
        });
        const withoutLandmarks = faces.map(({ landmarks: _landmarks, ...face }) => face);
        const read = async (options?: { landmarks: boolean }) => [
          (await store.getImage('user-a', session.id, image.id, options))?.faces,
          (await store.listImages('user-a', session.id, options))[0]?.faces,
        ];
        expect(await read()).toEqual([withoutLandmarks, withoutLandmarks]);
        expect(await read({ landmarks: false })).toEqual([withoutLandmarks, withoutLandmarks]);
        // Each face keeps its own 68 points, in order.
        expect(await read({ landmarks: true })).toEqual([faces, faces]);
      });

      it('writes an outcome once: a redelivered job is a duplicate', async () => {
        const session = await createSession(store);
        const image = await addImageOk(store, session);
        const finish = (attemptKey: string, faces: FaceRecord[]) =>
          store.finishImage({
            imageId: image.id,
            attemptKey,
            now: T0 + 9000,
            outcome: { status: 'done', width: 10, height: 10, faces, model: MODEL },
          });
        expect(await finish(`${image.id}:1`, [sampleFace(1)])).toMatchObject({
          written: true,
          sessionCompleted: true,
        });
        expect(await finish(`${image.id}:1`, [sampleFace(2)])).toEqual({
          written: false,
          reason: 'duplicate',
        });
        expect(await finish(`${image.id}:2`, [sampleFace(3)])).toEqual({
          written: false,
          reason: 'duplicate',
        });
        expect((await store.getImage('user-a', session.id, image.id, { landmarks: true }))?.faces).toEqual([
          sampleFace(1),
        ]);
      });

      it('writes nothing for an image whose session is gone', async () => {
        const session = await createSession(store);
        const image = await addImageOk(store, session);
        expect(await store.getImageForJob(image.id)).toMatchObject({ id: image.id, userId: 'user-a' });
        await store.deleteSession('user-a', session.id);
        expect(await store.getImageForJob(image.id)).toBeNull();
        expect(
          await store.finishImage({
            imageId: image.id,
            attemptKey: `${image.id}:1`,
            now: T0,
            outcome: { status: 'done', width: 1, height: 1, faces: [sampleFace()], model: MODEL },
          }),
        ).toEqual({ written: false, reason: 'gone' });
        expect(await store.getSession('user-a', session.id)).toBeNull();
      });

      it('forgets a blob key once the blob was deleted', async () => {
        const session = await createSession(store);
        const kept = await addImageOk(store, session);
        const cleared = await addImageOk(store, session);
        await store.clearImageBlob(cleared.id);
        expect((await store.getImage('user-a', session.id, cleared.id))?.blobKey).toBeNull();
        const referenced = await store.listReferencedBlobKeys();
        expect(referenced.has(kept.blobKey as string)).toBe(true);
        expect(referenced.has(cleared.blobKey as string)).toBe(false);
        const erased = await store.deleteSession('user-a', session.id);
        expect(erased?.blobKeys).toEqual([kept.blobKey]);
        expect(erased?.imageIds.sort()).toEqual([kept.id, cleared.id].sort());
      });
    });

    describe('deleting sessions', () => {
      it('erases the session and everything in it, only for its owner', async () => {
        const session = await createSession(store, { callbackUrl: 'https://example.com/hook' });
        const other = await createSession(store);
        const images = [await addImageOk(store, session), await addImageOk(store, session)];
        const otherImage = await addImageOk(store, other);
        await store.beginIdempotency({
          userId: 'user-a',
          key: 'k1',
          sessionId: session.id,
          requestHash: 'h1',
          ttlMs: HOUR,
          now: T0,
        });
        await store.completeIdempotency('user-a', 'k1', 201, '{"faces":[]}');
        await store.createWebhook({
          eventId: randomUUID(),
          sessionId: session.id,
          url: 'https://example.com/hook',
          payload: '{}',
          status: 'pending',
          nextAttemptAt: T0,
        });

        expect(await store.deleteSession('user-b', session.id)).toBeNull();
        expect(await store.getSession('user-a', session.id)).not.toBeNull();

        const deleted = await store.deleteSession('user-a', session.id);
        expect(deleted?.blobKeys.sort()).toEqual(images.map((i) => i.blobKey).sort());

        expect(await store.getSession('user-a', session.id)).toBeNull();
        for (const image of images) {
          expect(await store.getImage('user-a', session.id, image.id)).toBeNull();
          expect(await store.getImageForJob(image.id)).toBeNull();
        }
        expect(await store.listImages('user-a', session.id)).toEqual([]);
        expect(await store.getWebhook(session.id)).toBeNull();
        expect(await store.claimDueWebhooks(T0 + HOUR, 10, 60_000)).toEqual([]);
        expect(deleted?.imageIds.sort()).toEqual(images.map((i) => i.id).sort());
        // The session's unpublished jobs go with it; the other session's stay.
        expect((await store.pendingOutbox(T0 + HOUR, 10)).map((e) => e.imageId)).toEqual([otherImage.id]);
        // The replayable response (it may hold encodings) is gone too.
        expect(
          await store.beginIdempotency({
            userId: 'user-a',
            key: 'k1',
            sessionId: session.id,
            requestHash: 'h1',
            ttlMs: HOUR,
            now: T0 + 1,
          }),
        ).toEqual({ state: 'new' });
        const referenced = await store.listReferencedBlobKeys();
        for (const image of images) expect(referenced.has(image.blobKey as string)).toBe(false);
        expect(referenced.has(otherImage.blobKey as string)).toBe(true);

        // The other session is untouched; a second delete finds nothing.
        expect(await store.getImage('user-a', other.id, otherImage.id)).not.toBeNull();
        expect(await store.deleteSession('user-a', session.id)).toBeNull();
      });
    });

    describe('idempotency lookups', () => {
      it('tells whether a key holds an unexpired record, for its owner only', async () => {
        const session = await createSession(store);
        expect(await store.hasIdempotency('user-a', 'seen-key', T0)).toBe(false);
        await store.beginIdempotency({
          userId: 'user-a',
          key: 'seen-key',
          sessionId: session.id,
          requestHash: 'h1',
          ttlMs: HOUR,
          leaseMs: HOUR,
          now: T0,
        });
        expect(await store.hasIdempotency('user-a', 'seen-key', T0 + 1)).toBe(true);
        expect(await store.hasIdempotency('user-b', 'seen-key', T0 + 1)).toBe(false);
        expect(await store.hasIdempotency('user-a', 'seen-key', T0 + HOUR + 1)).toBe(false);
      });
    });

    describe('idempotency leases', () => {
      it('lets an unfinished claim be taken again after its lease, and a finished one replay for its ttl', async () => {
        const session = await createSession(store);
        const begin = (now: number, requestHash = 'h1') =>
          store.beginIdempotency({
            userId: 'user-a',
            key: 'lease-key',
            sessionId: session.id,
            requestHash,
            ttlMs: HOUR,
            leaseMs: 60_000,
            now,
          });
        expect(await begin(T0)).toEqual({ state: 'new' });
        expect(await begin(T0 + 30_000)).toEqual({ state: 'in_flight' });
        // The claimer died: past the lease the same payload claims it again and is told so.
        expect(await begin(T0 + 61_000)).toEqual({ state: 'reclaimed' });
        await store.completeIdempotency('user-a', 'lease-key', 201, '{"id":"x"}', T0 + 61_000 + HOUR);
        // Finished: replayed well past the lease, until the ttl.
        expect(await begin(T0 + 10 * 60_000)).toEqual({
          state: 'replay',
          statusCode: 201,
          body: '{"id":"x"}',
        });
        expect(await begin(T0 + 10 * 60_000, 'h2')).toEqual({ state: 'mismatch' });
      });
    });

    describe('direct-upload reservations', () => {
      const reservation = (session: { id: string; userId: string }, overrides: Partial<NewImage> = {}) => {
        const { maxAttempts: _, ...image } = newImage(session, overrides);
        return { ...image, blobKey: `uploads/${image.id}`, uploadExpiresAt: image.now + 60_000 };
      };
      const complete = (session: { id: string; userId: string }, imageId: string, now = T0 + 5000) =>
        store.completeUpload({
          userId: session.userId,
          sessionId: session.id,
          imageId,
          blobKey: `images/${imageId}`,
          blobSha256: 'b'.repeat(64),
          maxAttempts: 3,
          now,
        });

      it('reserves an awaiting_upload image that takes a slot and has no job yet', async () => {
        const session = await createSession(store);
        const input = reservation(session);
        const result = await store.reserveImage(input);
        if (!result.ok) throw new Error(result.reason);
        expect(result.image).toMatchObject({
          id: input.id,
          status: 'awaiting_upload',
          blobKey: input.blobKey,
          blobSha256: null,
          uploadExpiresAt: input.uploadExpiresAt,
        });
        expect(await store.getImage('user-a', session.id, input.id)).toEqual(result.image);
        expect(await store.getSession('user-a', session.id)).toMatchObject({
          imageCount: 1,
          state: 'processing',
        });
        expect(await store.pendingOutbox(T0 + HOUR, 10)).toEqual([]);
      });

      it('shares the limit with uploads under concurrency', async () => {
        const session = await createSession(store);
        await addImageOk(store, session);
        await addImageOk(store, session);
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            i % 2 ? store.reserveImage(reservation(session)) : store.addImage(newImage(session)),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(3);
        expect(results.filter((r) => !r.ok && r.reason === 'too_many_images')).toHaveLength(5);
        expect(await store.listImages('user-a', session.id)).toHaveLength(5);
        expect(await store.reserveImage(reservation({ id: session.id, userId: 'user-b' }))).toEqual({
          ok: false,
          reason: 'session_not_found',
        });
      });

      it('completes a reservation once: queued with its blob and checksum, and its job in the outbox', async () => {
        const session = await createSession(store);
        const input = reservation(session);
        await store.reserveImage(input);
        expect(await complete({ id: session.id, userId: 'user-b' }, input.id)).toEqual({
          ok: false,
          reason: 'image_not_found',
        });
        const done = await complete(session, input.id);
        if (!done.ok) throw new Error(done.reason);
        expect(done.image).toMatchObject({
          status: 'queued',
          blobKey: `images/${input.id}`,
          blobSha256: 'b'.repeat(64),
          uploadExpiresAt: null,
        });
        expect(done.job).toMatchObject({ imageId: input.id, sessionId: session.id, userId: 'user-a' });
        expect((await store.pendingOutbox(T0 + HOUR, 10)).map((e) => e.imageId)).toEqual([input.id]);
        expect(await complete(session, input.id)).toEqual({ ok: false, reason: 'not_awaiting_upload' });
        expect(await store.listReferencedBlobKeys()).toEqual(new Set([`images/${input.id}`]));
      });

      it('keeps a session with a reservation from completing', async () => {
        const session = await createSession(store);
        const image = await addImageOk(store, session);
        await store.reserveImage(reservation(session));
        const finished = await store.finishImage({
          imageId: image.id,
          attemptKey: `${image.id}:1`,
          now: T0 + 2000,
          outcome: { status: 'failed', error: { code: 'no_face', message: 'none' } },
        });
        expect(finished).toMatchObject({ written: true, sessionCompleted: false });
      });

      it('lists lapsed reservations and releases their slots, but not completed ones', async () => {
        const session = await createSession(store);
        const lapsing = reservation(session);
        const completing = reservation(session, { now: T0 + 1001 });
        await store.reserveImage(lapsing);
        await store.reserveImage(completing);
        await complete(session, completing.id);
        expect(await store.listLapsedReservations(lapsing.uploadExpiresAt, 10)).toEqual([]);
        const lapsed = await store.listLapsedReservations(lapsing.uploadExpiresAt + 1, 10);
        expect(lapsed).toEqual([{ imageId: lapsing.id, sessionId: session.id, blobKey: lapsing.blobKey }]);
        expect(await store.releaseReservation(completing.id, T0 + HOUR)).toBe(false);
        expect(await store.releaseReservation(lapsing.id, lapsing.uploadExpiresAt)).toBe(false);
        expect(await store.releaseReservation(lapsing.id, lapsing.uploadExpiresAt + 1)).toBe(true);
        expect(await store.releaseReservation(lapsing.id, lapsing.uploadExpiresAt + 1)).toBe(false);
        expect(await store.getImage('user-a', session.id, lapsing.id)).toBeNull();
        expect((await store.getSession('user-a', session.id))?.imageCount).toBe(1);
      });

      it('reopens a session whose only reservation lapsed', async () => {
        const session = await createSession(store);
        const input = reservation(session);
        await store.reserveImage(input);
        expect(await store.releaseReservation(input.id, input.uploadExpiresAt + 1)).toBe(true);
        expect(await store.getSession('user-a', session.id)).toMatchObject({ imageCount: 0, state: 'open' });
      });

      it('erases a reservation with its session, upload key included', async () => {
        const session = await createSession(store);
        const input = reservation(session);
        await store.reserveImage(input);
        expect(await store.deleteSession('user-a', session.id)).toEqual({
          blobKeys: [input.blobKey],
          imageIds: [input.id],
        });
      });
    });

    describe('outbox', () => {
      it('records the job of every image it adds, until acknowledged', async () => {
        const session = await createSession(store);
        const added = await store.addImage(newImage(session, { now: T0 + 10, maxAttempts: 4 }));
        if (!added.ok) throw new Error(added.reason);
        expect(added.job).toEqual({
          imageId: added.image.id,
          sessionId: session.id,
          userId: 'user-a',
          maxAttempts: 4,
          createdAt: T0 + 10,
        });
        const second = await addImageOk(store, session, { now: T0 + 20 });
        expect(await store.pendingOutbox(T0 + 20, 10)).toEqual([
          added.job,
          expect.objectContaining({ imageId: second.id, createdAt: T0 + 20 }),
        ]);
        // Only entries old enough are returned, oldest first, at most `limit`.
        expect((await store.pendingOutbox(T0 + 15, 10)).map((e) => e.imageId)).toEqual([added.image.id]);
        expect(await store.pendingOutbox(T0 + 20, 1)).toHaveLength(1);

        await store.ackOutbox([added.image.id, randomUUID()]);
        await store.ackOutbox([]);
        expect((await store.pendingOutbox(T0 + HOUR, 10)).map((e) => e.imageId)).toEqual([second.id]);
      });

      it('records no job for a refused image', async () => {
        const session = await createSession(store);
        for (let i = 0; i < 5; i++) await addImageOk(store, session);
        expect((await store.addImage(newImage(session))).ok).toBe(false);
        expect(await store.pendingOutbox(T0 + HOUR, 10)).toHaveLength(5);
      });

      it('stores the model that computed an image’s encodings', async () => {
        const session = await createSession(store);
        const image = await addImageOk(store, session);
        expect(image.model).toBeNull();
        await store.finishImage({
          imageId: image.id,
          attemptKey: `${image.id}:1`,
          now: T0 + 5000,
          outcome: { status: 'done', width: 640, height: 480, faces: [sampleFace()], model: MODEL },
        });
        expect((await store.getImage('user-a', session.id, image.id))?.model).toEqual(MODEL);
        expect((await store.listImages('user-a', session.id))[0]?.model).toEqual(MODEL);
      });
    });

    describe('idempotency', () => {
      const begin = (s: MetadataStore, requestHash: string, now: number, userId = 'user-a', key = 'key-1') =>
        s.beginIdempotency({ userId, key, sessionId: 'session-1', requestHash, ttlMs: 60_000, now });

      it('claims, reports in-flight and mismatch, then replays the stored response', async () => {
        expect(await begin(store, 'hash-1', T0)).toEqual({ state: 'new' });
        expect(await begin(store, 'hash-1', T0 + 1)).toEqual({ state: 'in_flight' });
        expect(await begin(store, 'hash-2', T0 + 1)).toEqual({ state: 'mismatch' });
        await store.completeIdempotency('user-a', 'key-1', 201, '{"image_id":"x"}');
        expect(await begin(store, 'hash-1', T0 + 2)).toEqual({
          state: 'replay',
          statusCode: 201,
          body: '{"image_id":"x"}',
        });
        expect(await begin(store, 'hash-2', T0 + 2)).toEqual({ state: 'mismatch' });
        // Keys are per user.
        expect(await begin(store, 'hash-2', T0 + 2, 'user-b')).toEqual({ state: 'new' });
      });

      it('forgets a record after its ttl and when purged', async () => {
        expect(await begin(store, 'hash-1', T0)).toEqual({ state: 'new' });
        await store.completeIdempotency('user-a', 'key-1', 201, '{}');
        expect(await begin(store, 'hash-2', T0 + 60_001)).toEqual({ state: 'new' });

        await begin(store, 'hash-1', T0, 'user-a', 'key-2');
        await begin(store, 'hash-1', T0 + 120_000, 'user-a', 'key-3');
        // key-1 (renewed, until T0+120 001) and key-2 (until T0+60 000) are past; key-3 lives on.
        expect(await store.purgeIdempotency(T0 + 130_000)).toBe(2);
        expect(await begin(store, 'hash-9', T0 + 130_001, 'user-a', 'key-3')).toEqual({ state: 'mismatch' });
      });

      it('drops an abandoned in-flight claim but never a completed one', async () => {
        await begin(store, 'hash-1', T0);
        await store.abandonIdempotency('user-a', 'key-1');
        expect(await begin(store, 'hash-2', T0 + 1)).toEqual({ state: 'new' });
        await store.completeIdempotency('user-a', 'key-1', 200, 'body');
        await store.abandonIdempotency('user-a', 'key-1');
        expect(await begin(store, 'hash-2', T0 + 2)).toEqual({
          state: 'replay',
          statusCode: 200,
          body: 'body',
        });
      });
    });

    describe('api keys', () => {
      it('finds active keys by hash, lists them and revokes them', async () => {
        const created = await store.createApiKey({
          id: 'key-id-1',
          userId: 'user-a',
          prefix: 'fe_abc',
          hash: 'h'.repeat(64),
        });
        expect(created).toMatchObject({
          id: 'key-id-1',
          userId: 'user-a',
          prefix: 'fe_abc',
          revokedAt: null,
          lastUsedAt: null,
        });
        expect(created).not.toHaveProperty('hash');
        await store.createApiKey({
          id: 'key-id-2',
          userId: 'user-b',
          prefix: 'fe_def',
          hash: 'g'.repeat(64),
        });

        expect(await store.findApiKeyByHash('h'.repeat(64))).toMatchObject({
          id: 'key-id-1',
          userId: 'user-a',
        });
        expect(await store.findApiKeyByHash('x'.repeat(64))).toBeNull();
        const listed = await store.listApiKeys();
        expect(listed.map((k) => k.id).sort()).toEqual(['key-id-1', 'key-id-2']);
        expect(listed.find((k) => k.id === 'key-id-1')?.lastUsedAt).not.toBeNull();
        for (const key of listed) expect(JSON.stringify(key)).not.toContain('h'.repeat(64));

        expect(await store.revokeApiKey('key-id-1')).toBe(true);
        expect(await store.revokeApiKey('key-id-1')).toBe(false);
        expect(await store.revokeApiKey('missing')).toBe(false);
        expect(await store.findApiKeyByHash('h'.repeat(64))).toBeNull();
        expect((await store.listApiKeys()).find((k) => k.id === 'key-id-1')?.revokedAt).not.toBeNull();
        expect(await store.findApiKeyByHash('g'.repeat(64))).toMatchObject({ id: 'key-id-2' });
      });

      it('touches lastUsedAt at most once a minute, not on every request', async () => {
        await store.createApiKey({
          id: 'key-id-3',
          userId: 'user-c',
          prefix: 'fe_ghi',
          hash: 'i'.repeat(64),
        });
        const lastUsed = async () => (await store.listApiKeys()).find((k) => k.id === 'key-id-3')?.lastUsedAt;
        await store.findApiKeyByHash('i'.repeat(64), T0);
        expect(await lastUsed()).toBe(T0);
        await store.findApiKeyByHash('i'.repeat(64), T0 + 30_000);
        expect(await lastUsed()).toBe(T0);
        await store.findApiKeyByHash('i'.repeat(64), T0 + 61_000);
        expect(await lastUsed()).toBe(T0 + 61_000);
      });
    });

    describe('webhooks', () => {
      it('lists due pending deliveries and applies updates', async () => {
        const s1 = await createSession(store);
        const s2 = await createSession(store);
        const s3 = await createSession(store);
        await store.createWebhook({
          eventId: 'evt-1',
          sessionId: s1.id,
          url: 'https://example.com/1',
          payload: '{"type":"session.completed"}',
          status: 'pending',
          nextAttemptAt: T0,
        });
        await store.createWebhook({
          eventId: 'evt-2',
          sessionId: s2.id,
          url: 'https://example.com/2',
          payload: '{}',
          status: 'pending',
          nextAttemptAt: T0 + HOUR,
        });
        await store.createWebhook({
          eventId: 'evt-3',
          sessionId: s3.id,
          url: 'https://example.com/3',
          payload: '{}',
          status: 'pending',
          nextAttemptAt: T0 + 10,
        });

        expect(await store.getWebhook(s1.id)).toEqual({
          eventId: 'evt-1',
          sessionId: s1.id,
          url: 'https://example.com/1',
          payload: '{"type":"session.completed"}',
          status: 'pending',
          attempts: 0,
          nextAttemptAt: T0,
          lastAttemptAt: null,
          lastStatusCode: null,
          lastError: null,
        });
        const claimed = await store.claimDueWebhooks(T0 + 100, 1, 60_000);
        expect(claimed.map((w) => w.eventId)).toEqual(['evt-1']);
        expect(claimed[0]).toMatchObject({ payload: '{"type":"session.completed"}', attempts: 0 });
        // A claimed delivery is not due for anyone else until its lease runs out.
        expect((await store.claimDueWebhooks(T0 + 100, 10, 60_000)).map((w) => w.eventId)).toEqual(['evt-3']);
        expect(await store.claimDueWebhooks(T0 + 200, 10, 60_000)).toEqual([]);

        await store.updateWebhook('evt-1', {
          status: 'failed',
          attempts: 1,
          lastAttemptAt: T0 + 50,
          lastStatusCode: 503,
          lastError: 'Service Unavailable',
          nextAttemptAt: T0 + 2 * HOUR,
        });
        expect(await store.getWebhook(s1.id)).toMatchObject({
          status: 'failed',
          attempts: 1,
          lastAttemptAt: T0 + 50,
          lastStatusCode: 503,
          lastError: 'Service Unavailable',
          nextAttemptAt: T0 + 2 * HOUR,
        });
        await store.updateWebhook('evt-3', { status: 'delivered', attempts: 1, nextAttemptAt: null });
        expect((await store.claimDueWebhooks(T0 + 3 * HOUR, 10, 60_000)).map((w) => w.eventId)).toEqual([
          'evt-2',
        ]);
        expect(await store.getWebhook(randomUUID())).toBeNull();

        const signed = await createSession(store, { callbackUrl: 'https://example.com/hook' });
        expect(await store.getWebhookSecret(signed.id)).toBe('whsec_test');
        expect(await store.getWebhookSecret(s1.id)).toBeNull();
        expect(await store.getWebhookSecret(randomUUID())).toBeNull();
      });
    });

    describe('cleanup', () => {
      it('lists expired sessions oldest first with their blob keys, and purges them', async () => {
        const older = await createSession(store, { now: T0 - 3 * HOUR, ttlSeconds: 60 });
        const old = await createSession(store, { userId: 'user-b', now: T0 - 2 * HOUR, ttlSeconds: 60 });
        const live = await createSession(store, { now: T0, ttlSeconds: 3600 });
        const image = await addImageOk(store, older, { now: T0 - 3 * HOUR });
        await addImageOk(store, live);

        const expired = await store.listExpiredSessions(T0, 10);
        expect(expired).toEqual([
          { id: older.id, blobKeys: [image.blobKey], imageIds: [image.id] },
          { id: old.id, blobKeys: [], imageIds: [] },
        ]);
        expect(await store.listExpiredSessions(T0, 1)).toHaveLength(1);

        for (const s of expired) await store.purgeSession(s.id);
        expect(await store.listExpiredSessions(T0, 10)).toEqual([]);
        expect(await store.getSession('user-a', older.id)).toBeNull();
        expect(await store.getSession('user-b', old.id)).toBeNull();
        expect(await store.getImageForJob(image.id)).toBeNull();
        expect(await store.getSession('user-a', live.id)).not.toBeNull();
        // Purging a missing session is harmless.
        await store.purgeSession(randomUUID());
      });

      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  });
}
