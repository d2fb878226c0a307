import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite-database.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite-metadata-store.js';
import {
  MODEL,
  addImageOk,
  createSession,
  metadataStoreConformance,
  newImage,
  sampleFace,
} from './metadata-store.conformance.js';

metadataStoreConformance('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'face-encode-meta-'));
  const store = new SqliteMetadataStore({ db: openSqliteDatabase({ path: join(dir, 'face-encode.db') }) });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const TABLES = ['sessions', 'images', 'outbox', 'idempotency', 'webhooks', 'api_keys'] as const;

function countRows(db: SqliteDatabase): Record<(typeof TABLES)[number], number> {
  const counts = {} as Record<(typeof TABLES)[number], number>;
  for (const table of TABLES)
    counts[table] = (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return counts;
}

describe('SqliteMetadataStore specifics', () => {
  let dir: string;
  let path: string;
  let db: SqliteDatabase;
  let store: SqliteMetadataStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'face-encode-meta-'));
    path = join(dir, 'face-encode.db');
    db = openSqliteDatabase({ path });
    store = new SqliteMetadataStore({ db });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves no row of a deleted session in any table', async () => {
    const session = await createSession(store, { callbackUrl: 'https://example.com/hook' });
    const kept = await createSession(store);
    for (let i = 0; i < 3; i++) await addImageOk(store, session);
    await addImageOk(store, kept);
    await store.beginIdempotency({
      userId: 'user-a',
      key: 'k',
      sessionId: session.id,
      requestHash: 'h',
      ttlMs: 1e6,
      now: 0,
    });
    await store.beginIdempotency({
      userId: 'user-a',
      key: 'k2',
      sessionId: kept.id,
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
    expect(countRows(db)).toEqual({
      sessions: 2,
      images: 4,
      outbox: 4,
      idempotency: 2,
      webhooks: 1,
      api_keys: 1,
    });

    await store.deleteSession('user-a', session.id);
    expect(countRows(db)).toEqual({
      sessions: 1,
      images: 1,
      outbox: 1,
      idempotency: 1,
      webhooks: 0,
      api_keys: 1,
    });
    for (const table of ['images', 'outbox', 'idempotency', 'webhooks']) {
      expect(db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE session_id = ?`).get(session.id)).toEqual({
        n: 0,
      });
    }

    await store.purgeSession(kept.id);
    expect(countRows(db)).toEqual({
      sessions: 0,
      images: 0,
      outbox: 0,
      idempotency: 0,
      webhooks: 0,
      api_keys: 1,
    });
  });

  it('writes the outbox row in the image’s transaction and never touches the queue’s table', async () => {
    const session = await createSession(store);
    const image = await addImageOk(store, session);
    expect(db.prepare('SELECT image_id, session_id, user_id, max_attempts FROM outbox').all()).toEqual([
      { image_id: image.id, session_id: session.id, user_id: 'user-a', max_attempts: 3 },
    ]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 0 });
  });

  it('rolls back the image when its outbox row cannot be written', async () => {
    const session = await createSession(store);
    await addImageOk(store, session);
    // A trigger makes the outbox insert fail after the image insert, inside the same transaction.
    db.exec(`CREATE TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'full'); END`);
    const next = randomUUID();
    await expect(store.addImage(newImage(session, { id: next }))).rejects.toThrow();
    expect(countRows(db)).toMatchObject({ images: 1, outbox: 1 });
    expect((await store.getSession('user-a', session.id))?.imageCount).toBe(1);
    expect(await store.getImage('user-a', session.id, next)).toBeNull();
  });

  it('keeps the image limit across two connections racing on the same file', async () => {
    const session = await createSession(store);
    const start = new SharedArrayBuffer(4);
    const workers = [0, 1].map(
      () =>
        new Worker(new URL('../support/add-image-worker.mjs', import.meta.url), {
          workerData: {
            path,
            sessionId: session.id,
            userId: 'user-a',
            attempts: 10,
            now: session.createdAt + 1000,
            start,
          },
        }),
    );
    const settle = (worker: Worker, type: string) =>
      new Promise<{ type: string; outcomes?: string[] }>((resolve, reject) => {
        const onMessage = (msg: { type: string; outcomes?: string[] }) => {
          if (msg.type !== type) return;
          worker.off('message', onMessage);
          resolve(msg);
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
      });
    try {
      await Promise.all(workers.map((w) => settle(w, 'ready')));
      const done = Promise.all(workers.map((w) => settle(w, 'done')));
      const flag = new Int32Array(start);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      const outcomes = (await done).flatMap((m) => m.outcomes ?? []);
      expect(outcomes).toHaveLength(20);
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(5);
      expect(outcomes.filter((o) => o === 'too_many_images')).toHaveLength(15);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
    expect(countRows(db)).toMatchObject({ images: 5, outbox: 5 });
    expect((await store.getSession('user-a', session.id))?.imageCount).toBe(5);
  });

  const finishWithFace = (imageId: string) =>
    store.finishImage({
      imageId,
      attemptKey: `${imageId}:1`,
      now: Date.now(),
      outcome: { status: 'done', width: 640, height: 480, faces: [sampleFace(7)], model: MODEL },
    });

  it('finds its data again after the file is closed and reopened', async () => {
    const session = await createSession(store, { callbackUrl: 'https://example.com/hook' });
    const image = await addImageOk(store, session);
    await finishWithFace(image.id);
    await store.createApiKey({ id: 'key-1', userId: 'user-a', prefix: 'fe_x', hash: 'h'.repeat(64) });
    await store.close();

    db = openSqliteDatabase({ path });
    store = new SqliteMetadataStore({ db });
    expect(await store.getSession('user-a', session.id)).toMatchObject({
      id: session.id,
      state: 'completed',
      imageCount: 1,
    });
    const reread = await store.getImage('user-a', session.id, image.id, { landmarks: true });
    expect(reread?.faces).toEqual([sampleFace(7)]);
    expect(await store.findApiKeyByHash('h'.repeat(64))).toMatchObject({ id: 'key-1' });
  });

  it('reads faces written before migration 5, their landmarks inside faces', async () => {
    const session = await createSession(store);
    const image = await addImageOk(store, session);
    await finishWithFace(image.id);
    // The row as an older version wrote it: one JSON column, no landmarks column.
    db.prepare('UPDATE images SET faces = ?, landmarks = NULL WHERE id = ?').run(
      JSON.stringify([sampleFace(7)]),
      image.id,
    );
    expect((await store.getImage('user-a', session.id, image.id, { landmarks: true }))?.faces).toEqual([
      sampleFace(7),
    ]);
    expect((await store.listImages('user-a', session.id, { landmarks: true }))[0]?.faces).toEqual([
      sampleFace(7),
    ]);
  });
});
