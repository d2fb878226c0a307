import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCheckpointer } from '../../src/storage/sqlite-checkpointer.js';
import { openSqliteDatabase } from '../../src/storage/sqlite-database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function database() {
  const dir = mkdtempSync(join(tmpdir(), 'face-encode-checkpoint-'));
  dirs.push(dir);
  const path = join(dir, 'x.db');
  const db = openSqliteDatabase({ path });
  db.exec('CREATE TABLE t (v TEXT)');
  return { db, path };
}

const fill = (db: ReturnType<typeof database>['db'], rows: number) => {
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < rows; i++) insert.run('x'.repeat(2000));
};

describe('SqliteCheckpointer', () => {
  it('takes checkpoints off the connection and copies the WAL into the database in its thread', async () => {
    const { db, path } = database();
    const checkpointer = new SqliteCheckpointer({ db, path, intervalMs: 20 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(path).size;
    fill(db, 3000); // ~1 500 pages: past the 1 000 at which a commit would checkpoint
    for (let i = 0; i < 200 && statSync(path).size <= before + 4_000_000; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(statSync(path).size).toBeGreaterThan(before + 4_000_000);
    await checkpointer.stop();
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(3000);
    db.close();
  });

  it('gives the connection its automatic checkpoints back when the thread dies', async () => {
    const { db, path } = database();
    // Its connection cannot open a file in a folder that is not there: the thread ends at once.
    const broken = new SqliteCheckpointer({ db, path: join(path, 'missing', 'x.db') });
    const auto = () => db.pragma('wal_autocheckpoint', { simple: true });
    for (let i = 0; i < 200 && auto() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(auto()).toBe(1000);
    await broken.stop();
    db.close();
  });
});
