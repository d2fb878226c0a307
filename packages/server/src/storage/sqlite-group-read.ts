import type { SqliteDatabase } from './sqlite-database.js';
import { StatementBatch } from './statement-batch.js';

export interface SqliteGroupReadOptions {
  /** The open database the reads run on. */
  db: SqliteDatabase;
}

/** A read: synchronous queries on the database, with no writes. */
export type SqliteRead = () => unknown;

/**
 * The reads asked for in one turn of the event loop run in one read transaction. In WAL mode a statement
 * outside a transaction takes and drops a read lock on the shared-memory index each time (about 5 µs, most of a
 * point read); inside one transaction the lock is taken once. Each read sees every commit made before its batch
 * ran, as it would alone, so no read can see older data than it asked at. When one read fails, each runs again
 * alone, so only that one is rejected.
 */
export function sqliteGroupRead(options: SqliteGroupReadOptions): StatementBatch<SqliteRead, unknown> {
  const inOne = options.db.transaction((reads: SqliteRead[]) => reads.map((read) => read()));
  return new StatementBatch<SqliteRead, unknown>({
    all: async (reads) => inOne(reads),
    one: async (read) => read(),
  });
}
