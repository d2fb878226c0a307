import type pg from 'pg';
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
import { firstRow, inTransaction, query } from './postgres-sql.js';

export interface PostgresCollectionStoreOptions {
  /** A pool on a database migrated by migratePostgres; the caller owns it. Required. */
  pool: pg.Pool;
}

/** Newest-first keyset paging after ($2, $3) in (created_at DESC, id DESC). */
const AFTER_CURSOR = '($2::bigint IS NULL OR (created_at, id) < ($2::bigint, $3::text))';

const pageValues = (page: PageQuery) => [page.cursor?.createdAt ?? null, page.cursor?.id ?? null, page.limit];

/** The CollectionStore on PostgreSQL; the collection row (FOR UPDATE) guards its face count. */
export class PostgresCollectionStore implements CollectionStore {
  readonly #pool: pg.Pool;

  constructor(options: PostgresCollectionStoreOptions) {
    this.#pool = options.pool;
  }

  async createCollection(input: NewCollection): Promise<CollectionRecord> {
    const { rows } = await query<CollectionRow>(
      this.#pool,
      `INSERT INTO collections (id, user_id, name, model_id, created_at, face_count)
         VALUES ($1, $2, $3, $4, $5, 0) RETURNING *`,
      [input.id, input.userId, input.name, input.modelId, input.now],
    );
    return toCollection(firstRow(rows));
  }

  async getCollection(userId: string, collectionId: string): Promise<CollectionRecord | null> {
    const { rows } = await query<CollectionRow>(
      this.#pool,
      'SELECT * FROM collections WHERE id = $1 AND user_id = $2',
      [collectionId, userId],
    );
    return rows[0] ? toCollection(rows[0]) : null;
  }

  async listCollections(userId: string, page: PageQuery): Promise<CollectionRecord[]> {
    const { rows } = await query<CollectionRow>(
      this.#pool,
      `SELECT * FROM collections WHERE user_id = $1 AND ${AFTER_CURSOR}
         ORDER BY created_at DESC, id DESC LIMIT $4`,
      [userId, ...pageValues(page)],
    );
    return rows.map(toCollection);
  }

  async deleteCollection(userId: string, collectionId: string): Promise<boolean> {
    const { rowCount } = await query(this.#pool, 'DELETE FROM collections WHERE id = $1 AND user_id = $2', [
      collectionId,
      userId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async addFace(input: NewCollectionFace): Promise<AddFaceResult> {
    return inTransaction(this.#pool, async (tx): Promise<AddFaceResult> => {
      const { rows } = await query<{ face_count: number }>(
        tx,
        'SELECT face_count FROM collections WHERE id = $1 AND user_id = $2 FOR UPDATE',
        [input.collectionId, input.userId],
      );
      const collection = rows[0];
      if (!collection) return { ok: false, reason: 'collection_not_found' };
      if (collection.face_count >= input.maxFaces) return { ok: false, reason: 'collection_full' };
      const inserted = await query<FaceRow>(
        tx,
        `INSERT INTO collection_faces (${FACE_COLUMNS}, sealed)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${FACE_COLUMNS}`,
        [
          input.id,
          input.collectionId,
          input.label,
          input.externalId,
          input.sessionId,
          input.imageId,
          input.faceIndex,
          input.now,
          input.sealed,
        ],
      );
      await query(tx, 'UPDATE collections SET face_count = face_count + 1 WHERE id = $1', [
        input.collectionId,
      ]);
      return { ok: true, face: toFace(firstRow(inserted.rows)) };
    });
  }

  async listFaces(
    userId: string,
    collectionId: string,
    page: PageQuery,
  ): Promise<CollectionFaceRecord[] | null> {
    if (!(await this.getCollection(userId, collectionId))) return null;
    const { rows } = await query<FaceRow>(
      this.#pool,
      `SELECT ${FACE_COLUMNS} FROM collection_faces WHERE collection_id = $1 AND ${AFTER_CURSOR}
         ORDER BY created_at DESC, id DESC LIMIT $4`,
      [collectionId, ...pageValues(page)],
    );
    return rows.map(toFace);
  }

  async deleteFace(userId: string, collectionId: string, faceId: string): Promise<boolean> {
    return inTransaction(this.#pool, async (tx) => {
      const owned = await query(tx, 'SELECT 1 FROM collections WHERE id = $1 AND user_id = $2 FOR UPDATE', [
        collectionId,
        userId,
      ]);
      if (owned.rowCount === 0) return false;
      const { rowCount } = await query(
        tx,
        'DELETE FROM collection_faces WHERE id = $1 AND collection_id = $2',
        [faceId, collectionId],
      );
      if ((rowCount ?? 0) === 0) return false;
      await query(tx, 'UPDATE collections SET face_count = face_count - 1 WHERE id = $1', [collectionId]);
      return true;
    });
  }

  async loadSealedFaces(collectionId: string, page: PageQuery): Promise<SealedFace[]> {
    const { rows } = await query<FaceRow>(
      this.#pool,
      `SELECT ${FACE_COLUMNS}, sealed FROM collection_faces WHERE collection_id = $1 AND ${AFTER_CURSOR}
         ORDER BY created_at DESC, id DESC LIMIT $4`,
      [collectionId, ...pageValues(page)],
    );
    return rows.map(toSealedFace);
  }

  async getSealedFaces(collectionId: string, faceIds: string[]): Promise<SealedFace[]> {
    if (faceIds.length === 0) return [];
    const { rows } = await query<FaceRow>(
      this.#pool,
      `SELECT ${FACE_COLUMNS}, sealed FROM collection_faces WHERE collection_id = $1 AND id = ANY($2::text[])`,
      [collectionId, faceIds],
    );
    return rows.map(toSealedFace);
  }

  async ping(): Promise<void> {
    await query(this.#pool, 'SELECT 1');
  }

  async close(): Promise<void> {
    // The pool belongs to the caller (shared with the metadata store).
  }
}
