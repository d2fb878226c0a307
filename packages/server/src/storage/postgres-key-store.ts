import type pg from 'pg';
import type { KeyStore } from './key-store.js';
import { query } from './postgres-sql.js';

export interface PostgresKeyStoreOptions {
  /** A pool on the key database (its search_path picks the schema). Required; the caller owns it unless closePool. */
  pool: pg.Pool;
  /** Whether close() ends the pool. Default false. */
  closePool?: boolean;
}

/**
 * Wrapped collection keys in a `collection_keys` table, created on first use, so the key database
 * can be one of its own (FACE_ENCODE_KEY_DATABASE_URL), backed up apart from the templates.
 */
export class PostgresKeyStore implements KeyStore {
  readonly #pool: pg.Pool;
  readonly #closePool: boolean;
  #ready: Promise<unknown> | undefined;

  constructor(options: PostgresKeyStoreOptions) {
    this.#pool = options.pool;
    this.#closePool = options.closePool ?? false;
  }

  #table(): Promise<unknown> {
    return (this.#ready ??= query(
      this.#pool,
      'CREATE TABLE IF NOT EXISTS collection_keys (collection_id text COLLATE "C" PRIMARY KEY, wrapped bytea NOT NULL)',
    ).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    }));
  }

  async put(collectionId: string, wrapped: Buffer): Promise<void> {
    await this.#table();
    await query(
      this.#pool,
      `INSERT INTO collection_keys (collection_id, wrapped) VALUES ($1, $2)
         ON CONFLICT (collection_id) DO UPDATE SET wrapped = EXCLUDED.wrapped`,
      [collectionId, wrapped],
    );
  }

  async get(collectionId: string): Promise<Buffer | null> {
    await this.#table();
    const { rows } = await query<{ wrapped: Buffer }>(
      this.#pool,
      'SELECT wrapped FROM collection_keys WHERE collection_id = $1',
      [collectionId],
    );
    return rows[0]?.wrapped ?? null;
  }

  async delete(collectionId: string): Promise<boolean> {
    await this.#table();
    const { rowCount } = await query(this.#pool, 'DELETE FROM collection_keys WHERE collection_id = $1', [
      collectionId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    if (this.#closePool && !this.#pool.ended) await this.#pool.end();
  }
}
