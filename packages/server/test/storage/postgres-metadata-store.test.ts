import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresMetadataStore } from '../../src/storage/postgres-metadata-store.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import {
  addImageOk,
  createSession,
  metadataStoreConformance,
  newImage,
  sampleFace,
} from './metadata-store.conformance.js';

const MODEL = { id: 'face-api-resnet', version: '1.7.15' };

metadataStoreConformance('PostgreSQL', async () => {
  const db = await createTestSchema({ migrate: true });
  const store = new PostgresMetadataStore({ pool: db.pool });
  return {
    store,
    async cleanup() {
      await store.close();
      await db.drop();
    },
  };
});

const TABLES = ['sessions', 'images', 'outbox', 'idempotency', 'webhooks', 'api_keys'] as const;

async function countRows(db: TestSchema): Promise<Record<(typeof TABLES)[number], number>> {
  const counts = {} as Record<(typeof TABLES)[number], number>;
  for (const table of TABLES) {
    const { rows } = await db.pool.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`);
    counts[table] = rows[0]?.n ?? -1;
  }
  return counts;
}

describe('PostgresMetadataStore specifics', () => {
  let db: TestSchema;
  let store: PostgresMetadataStore;
  /** The same database as another process sees it: a pool of its own. */
  let other: PostgresMetadataStore;

  beforeEach(async () => {
    db = await createTestSchema({ migrate: true });
    store = new PostgresMetadataStore({ pool: db.pool });
    other = new PostgresMetadataStore({ pool: db.newPool() });
  });
  afterEach(async () => {
    await db.drop();
  });

  it('keeps the image limit across two pools racing on one session', async () => {
    const session = await createSession(store);
    const stores = [store, other];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (stores[i % 2] as PostgresMetadataStore).addImage(newImage(session)),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.reason === 'too_many_images')).toHaveLength(15);
    expect(await countRows(db)).toMatchObject({ images: 5, outbox: 5 });
    expect((await store.getSession('user-a', session.id))?.imageCount).toBe(5);
  });

  it('never hands one webhook delivery to two claimers', async () => {
    const events: string[] = [];
    for (let i = 0; i < 30; i++) {
      const session = await createSession(store);
      const eventId = `evt-${i}`;
      events.push(eventId);
      await store.createWebhook({
        eventId,
        sessionId: session.id,
        url: 'https://example.com/hook',
        payload: '{}',
        status: 'pending',
        nextAttemptAt: i % 3 === 0 ? null : 1000 + i,
      });
    }
    const claimLoop = async (claimer: PostgresMetadataStore) => {
      const claimed: string[] = [];
      for (;;) {
        const batch = await claimer.claimDueWebhooks(5000, 3, 60_000);
        if (batch.length === 0) return claimed;
        claimed.push(...batch.map((w) => w.eventId));
      }
    };
    const claims = (
      await Promise.all([claimLoop(store), claimLoop(other), claimLoop(store), claimLoop(other)])
    ).flat();
    expect(claims.sort()).toEqual([...events].sort());
    // Leased, not lost: due again once the lease has run out.
    expect(await store.claimDueWebhooks(5000 + 59_999, 100, 1000)).toEqual([]);
    expect(await store.claimDueWebhooks(5000 + 60_000, 100, 1000)).toHaveLength(30);
  });

  it('completes a session exactly once when its images finish at the same time in two processes', async () => {
    for (let round = 0; round < 5; round++) {
      const session = await createSession(store);
      const images = [await addImageOk(store, session), await addImageOk(store, session)];
      const results = await Promise.all(
        images.map((image, i) =>
          (i === 0 ? store : other).finishImage({
            imageId: image.id,
            attemptKey: `${image.id}:1`,
            now: Date.now(),
            outcome: { status: 'done', width: 10, height: 10, faces: [], model: MODEL },
          }),
        ),
      );
      const completed = results.filter((r) => r.written && r.sessionCompleted);
      expect(completed).toHaveLength(1);
      expect((await store.getSession('user-a', session.id))?.state).toBe('completed');
    }
  });

  it('writes an outcome once when a job is delivered to two workers at once', async () => {
    const session = await createSession(store);
    const image = await addImageOk(store, session);
    const finish = (s: PostgresMetadataStore, attempt: number) =>
      s.finishImage({
        imageId: image.id,
        attemptKey: `${image.id}:${attempt}`,
        now: Date.now(),
        outcome: { status: 'done', width: 10, height: 10, faces: [sampleFace(attempt)], model: MODEL },
      });
    const results = await Promise.all([finish(store, 1), finish(other, 2)]);
    expect(results.filter((r) => r.written)).toHaveLength(1);
    expect(results.filter((r) => !r.written && r.reason === 'duplicate')).toHaveLength(1);
  });

  it('gives exactly one of two racing requests with one idempotency key the claim', async () => {
    for (let round = 0; round < 5; round++) {
      const begin = (s: PostgresMetadataStore) =>
        s.beginIdempotency({
          userId: 'user-a',
          key: `key-${round}`,
          sessionId: 'session-1',
          requestHash: 'h',
          ttlMs: 60_000,
          now: 1000,
        });
      const states = (await Promise.all([begin(store), begin(other)])).map((r) => r.state).sort();
      expect(states).toEqual(['in_flight', 'new']);
    }
  });

  it('writes the outbox row in the image’s transaction, and rolls both back together', async () => {
    const session = await createSession(store);
    const first = await addImageOk(store, session);
    const { rows } = await db.pool.query('SELECT image_id, session_id, user_id, max_attempts FROM outbox');
    expect(rows).toEqual([
      { image_id: first.id, session_id: session.id, user_id: 'user-a', max_attempts: 3 },
    ]);

    // Make the outbox insert fail after the image insert, inside the same transaction.
    await db.pool.query(`ALTER TABLE outbox ADD CONSTRAINT refuse_poison CHECK (image_id <> 'poison')`);
    await expect(store.addImage(newImage(session, { id: 'poison' }))).rejects.toThrow(/refuse_poison/);
    expect(await countRows(db)).toMatchObject({ images: 1, outbox: 1 });
    expect((await store.getSession('user-a', session.id))?.imageCount).toBe(1);
    expect(await store.getImage('user-a', session.id, 'poison')).toBeNull();
    // The connection that failed went back to the pool usable.
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
    await addImageOk(store, session);
  });

  it('leaves no row of a deleted session in any table, and reports its images for the queue', async () => {
    const session = await createSession(store, { callbackUrl: 'https://example.com/hook' });
    const kept = await createSession(store);
    const images = [];
    for (let i = 0; i < 3; i++) images.push(await addImageOk(store, session));
    await addImageOk(store, kept);
    for (const [key, sessionId] of [
      ['k', session.id],
      ['k2', kept.id],
    ] as const)
      await store.beginIdempotency({
        userId: 'user-a',
        key,
        sessionId,
        requestHash: 'h',
        ttlMs: 1e6,
        now: 0,
      });
    await store.createWebhook({
      eventId: randomUUID(),
      sessionId: session.id,
      url: 'https://example.com/hook',
      payload: '{}',
      status: 'pending',
      nextAttemptAt: 0,
    });
    await store.createApiKey({ id: 'key-1', userId: 'user-a', prefix: 'fe_x', hash: 'h'.repeat(64) });
    expect(await countRows(db)).toEqual({
      sessions: 2,
      images: 4,
      outbox: 4,
      idempotency: 2,
      webhooks: 1,
      api_keys: 1,
    });

    const erased = await store.deleteSession('user-a', session.id);
    expect(erased?.imageIds.sort()).toEqual(images.map((i) => i.id).sort());
    expect(await countRows(db)).toEqual({
      sessions: 1,
      images: 1,
      outbox: 1,
      idempotency: 1,
      webhooks: 0,
      api_keys: 1,
    });

    await store.purgeSession(kept.id);
    expect(await countRows(db)).toEqual({
      sessions: 0,
      images: 0,
      outbox: 0,
      idempotency: 0,
      webhooks: 0,
      api_keys: 1,
    });
  });

  it('round-trips faces through jsonb and times through bigint exactly', async () => {
    const now = Date.UTC(2100, 0, 1) + 123;
    const session = await createSession(store, { now });
    expect(typeof session.createdAt).toBe('number');
    const image = await addImageOk(store, session, { now });
    await store.finishImage({
      imageId: image.id,
      attemptKey: `${image.id}:1`,
      now: now + 1,
      outcome: {
        status: 'done',
        width: 640,
        height: 480,
        faces: [sampleFace(7), sampleFace(3)],
        model: MODEL,
      },
    });
    const reread = await other.getImage('user-a', session.id, image.id, { landmarks: true });
    expect(reread?.faces).toEqual([sampleFace(7), sampleFace(3)]);
    expect(reread?.model).toEqual(MODEL);
    expect(reread?.createdAt).toBe(now);
    expect(reread?.completedAt).toBe(now + 1);
    expect((await other.getSession('user-a', session.id))?.expiresAt).toBe(now + 3_600_000);
  });

  it('leaves a caller-owned pool open on close, and ends it when asked to', async () => {
    await store.close();
    await expect(db.pool.query('SELECT 1')).resolves.toBeDefined();
    const own = db.newPool();
    await new PostgresMetadataStore({ pool: own, closePool: true }).close();
    expect(own.ended).toBe(true);
  });
});
