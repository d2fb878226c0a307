/**
 * "This collection changed": every API process drops its cached copy and reloads it from the
 * database on the next search. A message is only a collection id. Adapters: LocalCollectionEvents
 * (one process) and RedisCollectionEvents (pub/sub, every API process of a deployment).
 */
export interface CollectionEvents {
  /** Tells every process, this one included. */
  publishChanged(collectionId: string): Promise<void>;
  /** Calls `listener` with each changed collection id. */
  onChanged(listener: (collectionId: string) => void): void;
  close(): Promise<void>;
}

/** In-process only: for the embedded (single-process) deployment. */
export class LocalCollectionEvents implements CollectionEvents {
  readonly #listeners: Array<(collectionId: string) => void> = [];

  async publishChanged(collectionId: string): Promise<void> {
    for (const listener of this.#listeners) listener(collectionId);
  }

  onChanged(listener: (collectionId: string) => void): void {
    this.#listeners.push(listener);
  }

  async close(): Promise<void> {
    this.#listeners.length = 0;
  }
}
