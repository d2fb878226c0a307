import {
  FACE_COLUMNS,
  toCollection,
  toFace,
  toSealedFace,
  type AddFaceResult,
  type CollectionFaceRecord,
  type CollectionRecord,
  type CollectionRow,
  type CollectionStore,
  type FaceRow,
  type NewCollection,
  type NewCollectionFace,
  type PageQuery,
  type SealedFace,
} from './collection-store.js';
import { statementCache, type SqliteDatabase } from './sqlite-database.js';

export interface SqliteCollectionStoreOptions {
  /** An open, migrated database (openSqliteDatabase), shared with the metadata store. Required. */
  db: SqliteDatabase;
}

/** Newest-first keyset paging: rows strictly after the cursor in (created_at DESC, id DESC). */
const AFTER_CURSOR =
  '(@cursor_at IS NULL OR created_at < @cursor_at OR (created_at = @cursor_at AND id < @cursor_id))';

const pageParams = (page: PageQuery) => ({
  limit: page.limit,
  cursor_at: page.cursor?.createdAt ?? null,
  cursor_id: page.cursor?.id ?? null,
});

/** The CollectionStore on the embedded SQLite database. */
export class SqliteCollectionStore implements CollectionStore {
  readonly #db: SqliteDatabase;
  readonly #sql: ReturnType<typeof statementCache>;

  constructor(options: SqliteCollectionStoreOptions) {
    this.#db = options.db;
    this.#sql = statementCache(options.db);
  }

  async createCollection(input: NewCollection): Promise<CollectionRecord> {
    const row: CollectionRow = {
      id: input.id,
      user_id: input.userId,
      name: input.name,
      model_id: input.modelId,
      created_at: input.now,
      face_count: 0,
    };
    this.#sql(
      `INSERT INTO collections (id, user_id, name, model_id, created_at, face_count)
         VALUES (@id, @user_id, @name, @model_id, @created_at, @face_count)`,
    ).run(row);
    return toCollection(row);
  }

  async getCollection(userId: string, collectionId: string): Promise<CollectionRecord | null> {
    const row = this.#sql('SELECT * FROM collections WHERE id = ? AND user_id = ?').get(
      collectionId,
      userId,
    ) as CollectionRow | undefined;
    return row ? toCollection(row) : null;
  }

  async listCollections(userId: string, page: PageQuery): Promise<CollectionRecord[]> {
    const rows = this.#sql(
      `SELECT * FROM collections WHERE user_id = @user_id AND ${AFTER_CURSOR}
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
    ).all({ user_id: userId, ...pageParams(page) }) as CollectionRow[];
    return rows.map(toCollection);
  }

  async deleteCollection(userId: string, collectionId: string): Promise<boolean> {
    // Faces go with it (ON DELETE CASCADE), in the same statement.
    const result = this.#sql('DELETE FROM collections WHERE id = ? AND user_id = ?').run(
      collectionId,
      userId,
    );
    return result.changes > 0;
  }

  async addFace(input: NewCollectionFace): Promise<AddFaceResult> {
    return this.#db
      .transaction((): AddFaceResult => {
        const collection = this.#sql('SELECT face_count FROM collections WHERE id = ? AND user_id = ?').get(
          input.collectionId,
          input.userId,
        ) as { face_count: number } | undefined;
        if (!collection) return { ok: false, reason: 'collection_not_found' };
        if (collection.face_count >= input.maxFaces) return { ok: false, reason: 'collection_full' };
        const row: FaceRow = {
          id: input.id,
          collection_id: input.collectionId,
          label: input.label,
          external_id: input.externalId,
          session_id: input.sessionId,
          image_id: input.imageId,
          face_index: input.faceIndex,
          created_at: input.now,
          sealed: input.sealed,
        };
        this.#sql(
          `INSERT INTO collection_faces (${FACE_COLUMNS}, sealed)
             VALUES (@id, @collection_id, @label, @external_id, @session_id, @image_id, @face_index, @created_at, @sealed)`,
        ).run(row);
        this.#sql('UPDATE collections SET face_count = face_count + 1 WHERE id = ?').run(input.collectionId);
        return { ok: true, face: toFace(row) };
      })
      .immediate();
  }

  async listFaces(
    userId: string,
    collectionId: string,
    page: PageQuery,
  ): Promise<CollectionFaceRecord[] | null> {
    if (!(await this.getCollection(userId, collectionId))) return null;
    const rows = this.#sql(
      `SELECT ${FACE_COLUMNS} FROM collection_faces WHERE collection_id = @collection_id AND ${AFTER_CURSOR}
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
    ).all({ collection_id: collectionId, ...pageParams(page) }) as FaceRow[];
    return rows.map(toFace);
  }

  async deleteFace(userId: string, collectionId: string, faceId: string): Promise<boolean> {
    return this.#db
      .transaction(() => {
        const result = this.#sql(
          `DELETE FROM collection_faces WHERE id = ? AND collection_id = ?
             AND collection_id IN (SELECT id FROM collections WHERE user_id = ?)`,
        ).run(faceId, collectionId, userId);
        if (result.changes === 0) return false;
        this.#sql('UPDATE collections SET face_count = face_count - 1 WHERE id = ?').run(collectionId);
        return true;
      })
      .immediate();
  }

  async loadSealedFaces(collectionId: string, page: PageQuery): Promise<SealedFace[]> {
    const rows = this.#sql(
      `SELECT ${FACE_COLUMNS}, sealed FROM collection_faces WHERE collection_id = @collection_id AND ${AFTER_CURSOR}
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
    ).all({ collection_id: collectionId, ...pageParams(page) }) as FaceRow[];
    return rows.map(toSealedFace);
  }

  async getSealedFaces(collectionId: string, faceIds: string[]): Promise<SealedFace[]> {
    if (faceIds.length === 0) return [];
    // One array parameter (json_each) instead of a statement per list length. CROSS JOIN keeps the
    // ids as the outer loop, so each is a primary-key lookup: left to itself the planner scanned
    // the whole collection through collection_faces_by_collection (0.8 s at 100k faces).
    const rows = this.#sql(
      `SELECT ${FACE_COLUMNS.split(', ')
        .map((c) => `f.${c}`)
        .join(', ')}, f.sealed
         FROM json_each(?) AS j CROSS JOIN collection_faces AS f ON f.id = j.value
         WHERE f.collection_id = ?`,
    ).all(JSON.stringify(faceIds), collectionId) as FaceRow[];
    return rows.map(toSealedFace);
  }

  async ping(): Promise<void> {
    this.#sql('SELECT 1').get();
  }

  async close(): Promise<void> {
    // The database belongs to whoever opened it (shared with the metadata store).
  }
}
