import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { sqliteGroupRead } from '../../src/storage/sqlite-group-read.js';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite-database.js';

let dir: string;
let db: SqliteDatabase;
/** A second connection, as another process would write the file. */
let other: Database.Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'face-encode-group-read-'));
  const path = join(dir, 'test.db');
  db = openSqliteDatabase({ path, busyTimeoutMs: 50 });
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
  other = new Database(path);
});

afterEach(async () => {
  other.close();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const count = () => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
const insertElsewhere = (id: number) => other.prepare('INSERT INTO t (id) VALUES (?)').run(id);

it('runs the reads of one turn in one read transaction', async () => {
  const reads = sqliteGroupRead({ db });
  const seen = await Promise.all([
    reads.run(() => {
      const n = count();
      // Committed by another connection between two reads of the batch: a shared snapshot does not show it.
      insertElsewhere(1);
      return n;
    }),
    reads.run(count),
  ]);
  expect(seen).toEqual([0, 0]);
  // The next turn's reads see it.
  expect(await reads.run(count)).toBe(1);
});

it('sees every commit made before the batch ran', async () => {
  const reads = sqliteGroupRead({ db });
  const pending = [reads.run(count), reads.run(count)];
  insertElsewhere(1);
  expect(await Promise.all(pending)).toEqual([1, 1]);
});

it('rejects only the read that fails', async () => {
  const reads = sqliteGroupRead({ db });
  const results = await Promise.allSettled([
    reads.run(count),
    reads.run(() => db.prepare('SELECT * FROM missing').all()),
    reads.run(count),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/no such table/);
});
