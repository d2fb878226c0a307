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

  it('rebuilds images for direct uploads keeping every row, the outbox included (migration 3)', () => {
    const db = track(new Database(join(dir, 'upgrade.db')));
    db.pragma('foreign_keys = ON');
    migrate(
      db,
      SQLITE_MIGRATIONS.filter((m) => m.version <= 2),
    );
    db.exec(`INSERT INTO sessions (id, user_id, state, created_at, expires_at, image_count)
               VALUES ('s1', 'u', 'processing', 1, 999, 2);
             INSERT INTO images (id, session_id, user_id, content_type, size_bytes, sha256, status, created_at,
                 blob_key, faces, model_id, model_version)
               VALUES ('i1', 's1', 'u', 'image/jpeg', 10, 'ab', 'queued', 2, 'images/i1', '[]', NULL, NULL),
                      ('i2', 's1', 'u', 'image/png', 20, 'cd', 'done', 3, NULL, '[{"x":1}]', 'm', '1');
             INSERT INTO outbox (image_id, session_id, user_id, max_attempts, created_at)
               VALUES ('i1', 's1', 'u', 3, 2);`);
    const before = db.prepare('SELECT * FROM images ORDER BY id').all();
    migrate(db, SQLITE_MIGRATIONS);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(db.prepare('SELECT * FROM images ORDER BY id').all()).toEqual(
      // Migration 3 adds the upload columns; migration 5 the landmarks column.
      before.map((row) => ({
        ...(row as object),
        blob_sha256: null,
        upload_expires_at: null,
        landmarks: null,
      })),
    );
    expect(db.prepare('SELECT image_id FROM outbox').all()).toEqual([{ image_id: 'i1' }]);
    expect(tables(db)).not.toContain('outbox_kept');
    expect(tables(db)).not.toContain('images_v3');
    db.exec(`INSERT INTO images (id, session_id, user_id, content_type, size_bytes, sha256, status, created_at)
               VALUES ('i3', 's1', 'u', 'image/jpeg', 1, 'ef', 'awaiting_upload', 4)`);
    // The outbox still cascades from images, and images from sessions.
    db.exec(`DELETE FROM sessions WHERE id = 's1'`);
    expect(db.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM images').get()).toEqual({ n: 0 });
  });
});
