import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite-database.js';
import { SQLITE_MIGRATIONS } from '../../src/storage/sqlite-migrations.js';

const LATEST = Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));

describe('SQLite migrations', () => {
  let dir: string;
  const open: SqliteDatabase[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'face-encode-migrations-'));
  });
  afterEach(async () => {
    for (const db of open.splice(0)) if (db.open) db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const track = (db: SqliteDatabase) => (open.push(db), db);
  const tables = (db: SqliteDatabase) =>
    (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as Array<{
        name: string;
      }>
    ).map((r) => r.name);

  it('numbers migrations 1, 2, 3… without gaps', () => {
    expect(SQLITE_MIGRATIONS.map((m) => m.version)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
  });

  it('creates the schema on a new file, in a new folder, with the pragmas set', () => {
    const db = track(openSqliteDatabase({ path: join(dir, 'nested', 'face-encode.db') }));
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(tables(db)).toEqual(
      expect.arrayContaining(['api_keys', 'idempotency', 'images', 'jobs', 'sessions', 'webhooks']),
    );
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('does not reapply migrations on reopen and keeps the data', () => {
    const path = join(dir, 'face-encode.db');
    const first = track(openSqliteDatabase({ path }));
    first
      .prepare(`INSERT INTO api_keys (id, user_id, prefix, hash, created_at) VALUES ('k', 'u', 'p', 'h', 1)`)
      .run();
    first.close();
    const second = track(openSqliteDatabase({ path, busyTimeoutMs: 250 }));
    expect(second.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(second.pragma('busy_timeout', { simple: true })).toBe(250);
    expect(second.prepare('SELECT id FROM api_keys').all()).toEqual([{ id: 'k' }]);
  });

  it('lets two connections open the same new file', () => {
    const path = join(dir, 'face-encode.db');
    const a = track(openSqliteDatabase({ path }));
    const b = track(openSqliteDatabase({ path }));
    expect(a.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(b.pragma('user_version', { simple: true })).toBe(LATEST);
  });

  it('applies only pending migrations, in version order', () => {
    const db = track(new Database(join(dir, 'plain.db')));
    const steps = [
      { version: 2, name: 'second', sql: `INSERT INTO log VALUES ('two')` },
      { version: 1, name: 'first', sql: `CREATE TABLE log (entry TEXT)` },
    ];
    expect(migrate(db, steps)).toBe(2);
    expect(
      migrate(db, [...steps, { version: 3, name: 'third', sql: `INSERT INTO log VALUES ('three')` }]),
    ).toBe(3);
    expect(db.prepare('SELECT entry FROM log').all()).toEqual([{ entry: 'two' }, { entry: 'three' }]);
  });

  it('rolls a failing migration back completely and stops there', () => {
    const db = track(new Database(join(dir, 'plain.db')));
    const steps = [
      { version: 1, name: 'ok', sql: `CREATE TABLE a (x INTEGER)` },
      { version: 2, name: 'broken', sql: `CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1);` },
      { version: 3, name: 'never', sql: `CREATE TABLE c (x INTEGER)` },
    ];
    expect(() => migrate(db, steps)).toThrow(/missing/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(['a']);
  });
});
