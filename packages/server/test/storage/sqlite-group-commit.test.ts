import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sqliteGroupCommit } from '../../src/storage/sqlite-group-commit.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite-database.js';

let dir: string;
let path: string;
let db: SqliteDatabase;
/** A second connection, as another process would read the file. */
let other: Database.Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'face-encode-group-commit-'));
  path = join(dir, 'test.db');
  db = openSqliteDatabase({ path, busyTimeoutMs: 50 });
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  other = new Database(path);
});

afterEach(async () => {
  other.close();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const insert = (id: number, v: string | null) => () =>
  db.prepare('INSERT INTO t (id, v) VALUES (?, ?)').run(id, v).changes;
/** Pages appended to the write-ahead log so far: each commit appends every page it changed. */
const walFrames = () => {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const size = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
  return Math.max(0, size - 32) / (24 + pageSize);
};
const count = () => (other.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;

it('commits the writes of one turn in one transaction, each settled only once it is committed', async () => {
  const commits = sqliteGroupCommit({ db });
  const before = walFrames();
  const writes = Array.from({ length: 20 }, (_, i) => commits.run(insert(i, `v${i}`)));
  // Nothing is written until the turn ends.
  expect(count()).toBe(0);
  const first = await writes[0];
  // When the first promise settles, every write of the batch is visible to another connection.
  expect(first).toBe(1);
  expect(count()).toBe(20);
  expect(await Promise.all(writes)).toEqual(Array(20).fill(1));
  // One commit: every autocommit insert would append its page to the log again (20 frames); one commit appends it once.
  expect(walFrames() - before).toBe(1);
});

it('rolls back and rejects only the write that breaks a constraint', async () => {
  const commits = sqliteGroupCommit({ db });
  const results = await Promise.allSettled([
    commits.run(insert(1, 'a')),
    commits.run(() => {
      insert(2, 'b')();
      insert(3, null)(); // NOT NULL: the whole write, row 2 included, is rolled back
    }),
    commits.run(insert(1, 'again')), // duplicate key
    commits.run(insert(4, 'd')),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
  expect(other.prepare('SELECT id, v FROM t ORDER BY id').all()).toEqual([
    { id: 1, v: 'a' },
    { id: 4, v: 'd' },
  ]);
});

it('rejects the whole batch, writing nothing, when the commit cannot take the write lock', async () => {
  const commits = sqliteGroupCommit({ db });
  other.exec('BEGIN IMMEDIATE');
  const results = await Promise.allSettled([commits.run(insert(1, 'a')), commits.run(insert(2, 'b'))]);
  other.exec('ROLLBACK');
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
  expect(count()).toBe(0);
  // The next batch commits as usual.
  await commits.run(insert(3, 'c'));
  expect(count()).toBe(1);
});

it('commits what is waiting when flushed, as the store does before it closes the database', async () => {
  const commits = sqliteGroupCommit({ db });
  const write = commits.run(insert(1, 'a'));
  commits.flush();
  expect(count()).toBe(1);
  await expect(write).resolves.toBe(1);
});
