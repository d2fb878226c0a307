import type { SqliteDatabase } from './sqlite-database.js';
import { StatementBatch } from './statement-batch.js';

export interface SqliteGroupCommitOptions {
  /** The open database the writes run on. */
  db: SqliteDatabase;
}

/** A write: synchronous statements on the database. */
export type SqliteWrite = () => unknown;

/**
 * Group commit: the writes asked for in one turn of the event loop run in one SQLite transaction. In WAL mode
 * every commit appends the pages it changed to the log, so concurrent inserts that touch the same table and
 * index pages pay for one commit instead of one each. When a write breaks a constraint, the batch is rolled back
 * and each write runs again in its own transaction, so only that one is rejected. Every promise settles only
 * once its write has committed, so nothing is acknowledged before it is as durable as an autocommit write.
 */
export function sqliteGroupCommit(options: SqliteGroupCommitOptions): StatementBatch<SqliteWrite, unknown> {
  const inOne = options.db.transaction((writes: SqliteWrite[]) => writes.map((write) => write()));
  const alone = options.db.transaction((write: SqliteWrite) => write());
  return new StatementBatch<SqliteWrite, unknown>({
    all: async (writes) => inOne(writes),
    one: async (write) => alone(write),
    // Only a constraint can be one write's fault; a held lock or a full disk would fail each alone again.
    retryAlone: (error) => String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_CONSTRAINT'),
  });
}
