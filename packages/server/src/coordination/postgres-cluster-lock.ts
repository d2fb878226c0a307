import type pg from 'pg';
import type { ClusterLock, LockResult } from './cluster-lock.js';

export interface PostgresClusterLockOptions {
  /** Pool to check a dedicated connection out of while a lock is held. Required; the caller owns it. */
  pool: pg.Pool;
  /**
   * Prefix of every lock key, so deployments sharing one database do not exclude each other.
   * Default: the connection's current schema (each deployment migrates its own).
   */
  scope?: string;
  /** Whether close() ends the pool. Default false: the pool belongs to the caller. */
  closePool?: boolean;
}

/**
 * ClusterLock on PostgreSQL session-level advisory locks. The lock lives exactly as long as the
 * connection holding it: a process that dies mid-duty frees it with its connection, with no lease to
 * wait out. Keys are `hashtextextended(scope:name)` (64-bit); a hash collision between two names
 * could only make one duty skip a tick. If the connection drops while `fn` runs, the lock is gone
 * before `fn` ends; the duties it guards are idempotent, so an overlap then costs work, not data.
 */
export class PostgresClusterLock implements ClusterLock {
  readonly #pool: pg.Pool;
  readonly #scope: string | undefined;
  readonly #closePool: boolean;
  #closed = false;

  constructor(options: PostgresClusterLockOptions) {
    this.#pool = options.pool;
    this.#scope = options.scope;
    this.#closePool = options.closePool ?? false;
  }

  async tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<LockResult<T>> {
    const client = await this.#pool.connect();
    // A checked-out client has no error listener; without one, the connection dropping while fn
    // runs (the client idle) would be an unhandled 'error' event and end the process.
    const onError = () => {};
    client.on('error', onError);
    const release = (error?: Error) => {
      client.off('error', onError);
      client.release(error);
    };
    let key: string;
    try {
      const acquired = await this.#tryLock(client, name);
      if (acquired === null) {
        release();
        return { ran: false };
      }
      key = acquired;
    } catch (error) {
      release(asError(error));
      throw error;
    }
    try {
      return { ran: true, value: await fn() };
    } finally {
      await unlock(client, key).then(
        () => release(),
        (error: unknown) => release(asError(error)),
      );
    }
  }

  /** Takes the lock without waiting; returns its key, or null when another session holds it. */
  async #tryLock(client: pg.PoolClient, name: string): Promise<string | null> {
    // The key is computed by the server and returned as text, so unlock uses the exact same bigint.
    const { rows } = await client.query<{ key: string; locked: boolean }>(
      `SELECT k.key::text AS key, pg_try_advisory_lock(k.key) AS locked
         FROM (SELECT hashtextextended(COALESCE($1::text, current_schema(), '') || ':' || $2::text, 0) AS key) k`,
      [this.#scope ?? null, name],
    );
    const row = rows[0];
    return row?.locked ? row.key : null;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closePool) await this.#pool.end();
  }
}

/** Rejects when the unlock fails; the caller then destroys the connection, which frees the lock. */
async function unlock(client: pg.PoolClient, key: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
