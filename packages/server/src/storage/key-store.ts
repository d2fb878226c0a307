/**
 * The wrapped data key of each collection, kept apart from the collection rows so that a backup of
 * the database holds no key: deleting a key (crypto-shredding) makes the templates in any copy
 * unreadable. Adapters: `sqlite-key-store.ts` (its own file) and `postgres-key-store.ts` (a table,
 * in a database of its own when FACE_ENCODE_KEY_DATABASE_URL is set). Both pass
 * `test/storage/key-store.conformance.ts`.
 */
export interface KeyStore {
  /** Stores (or replaces, on master-key rotation) the wrapped key of a collection. */
  put(collectionId: string, wrapped: Buffer): Promise<void>;
  get(collectionId: string): Promise<Buffer | null>;
  /** Destroys the key; true when there was one. */
  delete(collectionId: string): Promise<boolean>;
  close(): Promise<void>;
}
