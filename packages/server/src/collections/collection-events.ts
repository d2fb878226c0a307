/**
 * What changed in a collection, so every API process can bring its cached copy up to date without
 * reading the whole collection again. A change names face ids only, never encodings: a process
 * that holds the collection reads just those rows from the database (the source of truth).
 * Adapters: LocalCollectionEvents (one process) and RedisCollectionEvents (pub/sub, every API
 * process of a deployment).
 */
export type CollectionChange =
  /** Faces stored in the collection: read these rows and append them. */
  | { kind: 'faces-added'; collectionId: string; faceIds: string[] }
  /** Faces erased from the collection: drop them from the copy. */
  | { kind: 'faces-removed'; collectionId: string; faceIds: string[] }
  /** The collection was erased (or changed in a way only a reload covers): drop the copy. */
  | { kind: 'dropped'; collectionId: string }
  /** Changes may have been missed (a reconnect, a gap in a peer's sequence): drop every copy. */
  | { kind: 'everything' };

export interface CollectionEvents {
  /** Tells every process, this one included (this one first, before the call returns). */
  publish(change: CollectionChange): Promise<void>;
  /** Calls `listener` with each change, from any process. */
  onChange(listener: (change: CollectionChange) => void): void;
  close(): Promise<void>;
}

/** In-process only: for the embedded (single-process) deployment. */
export class LocalCollectionEvents implements CollectionEvents {
  readonly #listeners: Array<(change: CollectionChange) => void> = [];

  async publish(change: CollectionChange): Promise<void> {
    for (const listener of this.#listeners) listener(change);
  }

  onChange(listener: (change: CollectionChange) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
  }
}
