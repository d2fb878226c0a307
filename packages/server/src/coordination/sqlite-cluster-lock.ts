import { randomUUID } from 'node:crypto';
import { statementCache, type SqliteDatabase } from '../storage/sqlite-database.js';
import type { ClusterLock, LockResult } from './cluster-lock.js';

export interface SqliteClusterLockOptions {
  /** An open, migrated database shared by the processes to coordinate (same file). */
  db: SqliteDatabase;
  /** How long a hold lasts unless renewed; a crashed holder's lock frees after it. Default 60 000 ms. */
  leaseMs?: number;
  /** Clock, injectable for tests. Default Date.now. */
  now?: () => number;
}

/**
 * Locks as rows with a lease: SQLite has no advisory locks, and a process killed mid-duty must not
 * hold its lock forever. The holder renews the lease while its duty runs.
 */
export class SqliteClusterLock implements ClusterLock {
  readonly #sql: ReturnType<typeof statementCache>;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #holder = randomUUID();

  constructor(options: SqliteClusterLockOptions) {
    this.#sql = statementCache(options.db);
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  async tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<LockResult<T>> {
    const holder = `${this.#holder}:${randomUUID()}`;
    if (!this.#acquire(name, holder)) return { ran: false };
    const renew = setInterval(() => this.#renew(name, holder), Math.max(10, this.#leaseMs / 3));
    renew.unref();
    try {
      return { ran: true, value: await fn() };
    } finally {
      clearInterval(renew);
      this.#sql('DELETE FROM cluster_locks WHERE name = ? AND holder = ?').run(name, holder);
    }
  }

  #acquire(name: string, holder: string): boolean {
    const now = this.#now();
    const result = this.#sql(
      `INSERT INTO cluster_locks (name, holder, expires_at) VALUES (@name, @holder, @until)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE cluster_locks.expires_at < @now`,
    ).run({ name, holder, until: now + this.#leaseMs, now });
    return result.changes > 0;
  }

  #renew(name: string, holder: string): void {
    try {
      this.#sql('UPDATE cluster_locks SET expires_at = ? WHERE name = ? AND holder = ?').run(
        this.#now() + this.#leaseMs,
        name,
        holder,
      );
    } catch {
      // A closed database during shutdown: the lease simply runs out.
    }
  }

  async close(): Promise<void> {
    // The database belongs to whoever opened it.
  }
}
