import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

export type SqliteDatabase = Database.Database;

export interface OpenSqliteOptions {
  /** Database file; its folder is created. */
  path: string;
  /** How long a writer waits for another connection's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

/** Opens (and migrates) the embedded database: WAL so readers never block the writer. */
export function openSqliteDatabase(options: OpenSqliteOptions): SqliteDatabase {
  mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Prepares each SQL text once per database and reuses the statement: compiling a statement costs
 * more than running most of these, and the stores run the same few dozen over and over.
 */
export function statementCache(db: SqliteDatabase): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}

/** A versioned schema change; see `sqlite-migrations.ts`. */
export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Applies pending migrations in order, each in its own IMMEDIATE transaction; `user_version`
 * records the schema version. Returns the version reached.
 */
export function migrate(
  db: SqliteDatabase,
  migrations: ReadonlyArray<SqliteMigration> = SQLITE_MIGRATIONS,
): number {
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    db.transaction(() => {
      // Re-read under the write lock: another process may have applied it since.
      const current = db.pragma('user_version', { simple: true }) as number;
      if (migration.version <= current) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
