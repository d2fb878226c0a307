import { openSqliteDatabase, statementCache, type SqliteDatabase } from './sqlite-database.js';
import type { KeyStore } from './key-store.js';

export interface SqliteKeyStoreOptions {
  /** The key file, apart from the database file so a copy of one is not a copy of both. Required. */
  path: string;
}

/** Wrapped collection keys in a SQLite file of their own, opened (and created) on first use. */
export class SqliteKeyStore implements KeyStore {
  readonly #path: string;
  #db: SqliteDatabase | undefined;
  #statements: ReturnType<typeof statementCache> | undefined;

  constructor(options: SqliteKeyStoreOptions) {
    this.#path = options.path;
  }

  #sql(text: string) {
    if (!this.#statements) {
      // Its own file with its own one table: no migrations of the metadata database apply here.
      const db = openSqliteDatabase({ path: this.#path });
      db.exec(
        'CREATE TABLE IF NOT EXISTS collection_keys (collection_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL)',
      );
      // Deleted keys must not linger in free pages of the file.
      db.pragma('secure_delete = ON');
      this.#db = db;
      this.#statements = statementCache(db);
    }
    return this.#statements(text);
  }

  async put(collectionId: string, wrapped: Buffer): Promise<void> {
    this.#sql(
      `INSERT INTO collection_keys (collection_id, wrapped) VALUES (?, ?)
         ON CONFLICT (collection_id) DO UPDATE SET wrapped = excluded.wrapped`,
    ).run(collectionId, wrapped);
  }

  async get(collectionId: string): Promise<Buffer | null> {
    const row = this.#sql('SELECT wrapped FROM collection_keys WHERE collection_id = ?').get(collectionId) as
      { wrapped: Buffer } | undefined;
    return row?.wrapped ?? null;
  }

  async delete(collectionId: string): Promise<boolean> {
    const deleted =
      this.#sql('DELETE FROM collection_keys WHERE collection_id = ?').run(collectionId).changes > 0;
    // The WAL still holds the frames that wrote the key: fold them into the file (where secure_delete
    // zeroes the freed cell) and truncate the WAL, so the shredded key is on disk nowhere.
    if (deleted) this.#db?.pragma('wal_checkpoint(TRUNCATE)');
    return deleted;
  }

  async close(): Promise<void> {
    if (this.#db?.open) this.#db.close();
  }
}
