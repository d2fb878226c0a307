import type { CollectionFaceRecord, CollectionStore } from '../storage/collection-store.js';
import type { KeyStore } from '../storage/key-store.js';
import type { CollectionEvents } from './collection-events.js';
import { exactSearch } from './exact-search.js';
import { ENCODING_DIMS, openEncoding, type KeyWrap } from './template-crypto.js';

export interface CollectionIndexOptions {
  /** Where the sealed faces live: the source of truth. Required. */
  store: CollectionStore;
  /** Where the wrapped data keys live. Required. */
  keys: KeyStore;
  /** Unwraps the data keys. Required. */
  keyWrap: KeyWrap;
  /** Change notices from every process; a notice drops the cached copy. Required. */
  events: CollectionEvents;
}

/** One collection in memory: its faces in row order and their encodings, one row of 128 floats each. */
interface LoadedCollection {
  faces: CollectionFaceRecord[];
  matrix: Float32Array;
}

export interface SearchHit {
  face: CollectionFaceRecord;
  distance: number;
}

/** A collection whose data key is gone (erased meanwhile): its faces cannot be read. */
export class CollectionKeyMissing extends Error {
  override name = 'CollectionKeyMissing';
}

/**
 * Exact 1:N search over an in-process Float32Array copy of each collection, loaded lazily from the
 * store (decrypting every face once) and dropped whenever any process reports a change, so the
 * database stays the source of truth. Exact brute force is right up to about 1M faces per
 * collection (BENCHMARKS.md); the server refuses collections past FACE_ENCODE_MAX_COLLECTION_FACES.
 */
export class CollectionIndex {
  readonly #o: CollectionIndexOptions;
  readonly #cache = new Map<string, Promise<LoadedCollection>>();

  constructor(options: CollectionIndexOptions) {
    this.#o = options;
    options.events.onChanged((id) => {
      if (id === '*') this.#cache.clear();
      else this.#cache.delete(id);
    });
  }

  /** The collection's data key in the clear; a key wrapped by a previous master key is rewrapped. */
  async dataKey(collectionId: string): Promise<Buffer> {
    const wrapped = await this.#o.keys.get(collectionId);
    if (!wrapped) throw new CollectionKeyMissing(`Collection ${collectionId} has no key.`);
    const { key, stale } = this.#o.keyWrap.unwrap(collectionId, wrapped);
    if (stale) await this.#o.keys.put(collectionId, this.#o.keyWrap.wrap(collectionId, key));
    return key;
  }

  /** The top `k` faces within `maxDistance` of `probe`, nearest first. */
  async search(
    collectionId: string,
    probe: Float32Array,
    k: number,
    maxDistance: number,
  ): Promise<SearchHit[]> {
    const loaded = await this.load(collectionId);
    return exactSearch(loaded.matrix, loaded.faces.length, probe, k, maxDistance).map((n) => ({
      face: loaded.faces[n.index]!,
      distance: n.distance,
    }));
  }

  /** Loads (or returns the cached copy of) a collection; exposed for the cold-start benchmark. */
  load(collectionId: string): Promise<LoadedCollection> {
    let loading = this.#cache.get(collectionId);
    if (!loading) {
      loading = this.#read(collectionId);
      this.#cache.set(collectionId, loading);
      // A failed load is not cached. A change during a load deletes the entry, so the next search
      // reads again; the searches already waiting get the copy from before the change.
      loading.catch(() => {
        if (this.#cache.get(collectionId) === loading) this.#cache.delete(collectionId);
      });
    }
    return loading;
  }

  async #read(collectionId: string): Promise<LoadedCollection> {
    const key = await this.dataKey(collectionId);
    const sealed = await this.#o.store.loadSealedFaces(collectionId);
    const matrix = new Float32Array(sealed.length * ENCODING_DIMS);
    const faces: CollectionFaceRecord[] = [];
    sealed.forEach((row, i) => {
      openEncoding(key, collectionId, row.id, row.sealed, matrix, i * ENCODING_DIMS);
      const { sealed: _sealed, ...face } = row;
      faces.push(face);
    });
    return { faces, matrix };
  }

  /** Faces held in memory across every cached collection. */
  async cachedFaces(): Promise<number> {
    let total = 0;
    for (const loading of this.#cache.values())
      total += (await loading.catch(() => ({ faces: [] }))).faces.length;
    return total;
  }
}
