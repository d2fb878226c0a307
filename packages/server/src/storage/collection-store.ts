/**
 * Collections of faces kept past their session (the explicit choice to keep a template), for 1:N
 * search. The store holds each face's encoding sealed (AES-256-GCM under the collection's data key,
 * see collections/template-crypto.ts); it never sees a plain encoding. Every user-facing call takes
 * the caller's userId and treats another user's ids as missing. Adapters: `sqlite-collection-store.ts`
 * and `postgres-collection-store.ts`; both pass `test/storage/collection-store.conformance.ts`.
 */
export interface CollectionStore {
  createCollection(input: NewCollection): Promise<CollectionRecord>;
  getCollection(userId: string, collectionId: string): Promise<CollectionRecord | null>;
  /** Newest first; `cursor` is the last item of the previous page. */
  listCollections(userId: string, page: PageQuery): Promise<CollectionRecord[]>;
  /** Erases the collection and every face in it; false when missing. */
  deleteCollection(userId: string, collectionId: string): Promise<boolean>;
  /** Adds one face, checking ownership and `maxFaces` under a lock, so parallel adds cannot pass it. */
  addFace(input: NewCollectionFace): Promise<AddFaceResult>;
  /** Newest first; null when the collection is missing. */
  listFaces(userId: string, collectionId: string, page: PageQuery): Promise<CollectionFaceRecord[] | null>;
  deleteFace(userId: string, collectionId: string, faceId: string): Promise<boolean>;
  /**
   * One page of faces with their sealed encodings, newest first like listFaces, for loading the
   * search index a page at a time (no owner check: internal). Empty when the collection is missing.
   */
  loadSealedFaces(collectionId: string, page: PageQuery): Promise<SealedFace[]>;
  /** Those of `faceIds` still in the collection, sealed, in any order: the rows a change added. */
  getSealedFaces(collectionId: string, faceIds: string[]): Promise<SealedFace[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CollectionRecord {
  id: string;
  userId: string;
  name: string;
  /** The model whose encodings the collection holds; others cannot be compared with them. */
  modelId: string;
  createdAt: number;
  faceCount: number;
}

export interface CollectionFaceRecord {
  id: string;
  collectionId: string;
  label: string | null;
  externalId: string | null;
  sessionId: string;
  imageId: string;
  faceIndex: number;
  createdAt: number;
}

export interface SealedFace extends CollectionFaceRecord {
  /** The encoding, sealed under the collection's data key. */
  sealed: Buffer;
}

export interface NewCollection {
  id: string;
  userId: string;
  name: string;
  modelId: string;
  now: number;
}

export interface NewCollectionFace extends Omit<SealedFace, 'createdAt'> {
  userId: string;
  maxFaces: number;
  now: number;
}

export interface PageQuery {
  limit: number;
  cursor: { createdAt: number; id: string } | null;
}

export type AddFaceResult =
  | { ok: true; face: CollectionFaceRecord }
  | { ok: false; reason: 'collection_not_found' | 'collection_full' };

export interface CollectionRow {
  id: string;
  user_id: string;
  name: string;
  model_id: string;
  created_at: number;
  face_count: number;
}

export interface FaceRow {
  id: string;
  collection_id: string;
  label: string | null;
  external_id: string | null;
  session_id: string;
  image_id: string;
  face_index: number;
  created_at: number;
  sealed: Buffer;
}

export const toCollection = (r: CollectionRow): CollectionRecord => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  modelId: r.model_id,
  createdAt: r.created_at,
  faceCount: r.face_count,
});

export const toFace = (r: Omit<FaceRow, 'sealed'>): CollectionFaceRecord => ({
  id: r.id,
  collectionId: r.collection_id,
  label: r.label,
  externalId: r.external_id,
  sessionId: r.session_id,
  imageId: r.image_id,
  faceIndex: r.face_index,
  createdAt: r.created_at,
});

export const toSealedFace = (r: FaceRow): SealedFace => ({ ...toFace(r), sealed: r.sealed });

/** The columns of a face listing: everything but the sealed encoding. */
export const FACE_COLUMNS =
  'id, collection_id, label, external_id, session_id, image_id, face_index, created_at';
