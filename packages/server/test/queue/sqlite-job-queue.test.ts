import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobQueue } from '../../src/queue/sqlite-job-queue.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite-database.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite-metadata-store.js';
import { jobQueueConformance } from './job-queue.conformance.js';

jobQueueConformance('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'face-encode-queue-'));
  const db = openSqliteDatabase({ path: join(dir, 'face-encode.db') });
  const queue = new SqliteJobQueue({ db });
  return {
    queue,
    async cleanup() {
      await queue.close();
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteJobQueue specifics', () => {
  let dir: string;
  let path: string;
  let db: SqliteDatabase;
  let store: SqliteMetadataStore;
  let clock: number;
  let queue: SqliteJobQueue;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'face-encode-queue-'));
    path = join(dir, 'face-encode.db');
    db = openSqliteDatabase({ path });
    store = new SqliteMetadataStore({ db });
    clock = Date.UTC(2026, 10, 22, 12);
    queue = new SqliteJobQueue({ db, now: () => clock });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function enqueue(): Promise<string> {
    const id = randomUUID();
    await queue.enqueue({
      imageId: id,
      sessionId: randomUUID(),
      userId: 'user-a',
      maxAttempts: 2,
      createdAt: clock,
    });
    return id;
  }

  it('redelivers past maxAttempts when the last worker crashed, so the runner can give up', async () => {
    const imageId = await enqueue();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = await queue.lease(`worker-${attempt}`, 1000);
      expect(job).toMatchObject({ imageId, attempt, maxAttempts: 2 });
      clock += 1001;
    }
  });

  it('never leases a job twice across two connections to the same file', async () => {
    const ids = [await enqueue(), await enqueue(), await enqueue()];
    const db2 = openSqliteDatabase({ path });
    try {
      const queue2 = new SqliteJobQueue({ db: db2, now: () => clock });
      const leased = [];
      for (let i = 0; i < 4; i++) {
        leased.push(await queue.lease('a', 60_000));
        leased.push(await queue2.lease('b', 60_000));
      }
      const got = leased.filter((j) => j !== null).map((j) => j.imageId);
      expect(got.sort()).toEqual([...ids].sort());
    } finally {
      db2.close();
    }
  });

  it('records the worker, lease and error on the row', async () => {
    const imageId = await enqueue();
    const job = await queue.lease('worker-7', 5000);
    expect(
      db.prepare('SELECT worker_id, leased_until, attempt FROM jobs WHERE image_id = ?').get(imageId),
    ).toEqual({
      worker_id: 'worker-7',
      leased_until: clock + 5000,
      attempt: 1,
    });
    if (!job) throw new Error('expected a job');
    expect(await queue.fail(job, 'decoder exploded', clock + 10_000)).toBe('retry');
    expect(
      db
        .prepare(
          'SELECT worker_id, lease_token, leased_until, run_at, last_error, dead FROM jobs WHERE image_id = ?',
        )
        .get(imageId),
    ).toEqual({
      worker_id: null,
      lease_token: null,
      leased_until: null,
      run_at: clock + 10_000,
      last_error: 'decoder exploded',
      dead: 0,
    });
    expect(await queue.lease('worker-7', 5000)).toBeNull();
    clock += 10_000;
    expect(await queue.lease('worker-7', 5000)).toMatchObject({ imageId, attempt: 2 });
  });

  it('leaves the shared database open on close', async () => {
    await queue.close();
    await expect(queue.ping()).resolves.toBeUndefined();
  });
});
