import type { SqliteDatabase } from './sqlite-database.js';

export interface SqliteGroupCommitOptions {
  /** The open database the writes run on. */
  db: SqliteDatabase;
}

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: the writes asked for in one turn of the event loop run in one SQLite transaction. In WAL mode
 * every commit appends the pages it changed to the log, so concurrent inserts that touch the same table and
 * index pages pay for one commit instead of one each. Each write runs in its own savepoint, so one that
 * throws is rolled back and rejected alone; every promise settles only once the transaction has committed, so
 * nothing is acknowledged before it is as durable as an autocommit write.
 */
export class SqliteGroupCommit {
  readonly #db: SqliteDatabase;
  #pending: Pending[] = [];
  /** Nested in the batch's transaction, better-sqlite3 runs this as a savepoint. */
  readonly #savepoint: (write: () => unknown) => unknown;
  readonly #batch: (batch: Pending[]) => Outcome[];

  constructor(options: SqliteGroupCommitOptions) {
    this.#db = options.db;
    this.#savepoint = this.#db.transaction((write: () => unknown) => write());
    this.#batch = this.#db.transaction((batch: Pending[]) =>
      batch.map((p): Outcome => {
        try {
          return { ok: true, value: this.#savepoint(p.write) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  /** Runs `write` (synchronous statements on the database) in the next group commit; resolves with its result once committed. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits the writes waiting now, at once (also before the database closes). */
  flush(): void {
    const batch = this.#pending;
    if (!batch.length) return;
    this.#pending = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.#batch(batch);
    } catch (error) {
      // The commit itself failed (a lock held too long, a full disk): nothing in the batch was written.
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i] as Outcome;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}
