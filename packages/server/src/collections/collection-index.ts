import type { CollectionFaceRecord, CollectionStore, SealedFace } from '../storage/collection-store.js';
import type { KeyStore } from '../storage/key-store.js';
import type { CollectionChange, CollectionEvents } from './collection-events.js';
import { exactSearch } from './exact-search.js';
import { FaceMatrix } from './face-matrix.js';
import { openEncoding, type KeyWrap } from './template-crypto.js';

export interface CollectionIndexOptions {
  /** Where the sealed faces live: the source of truth. Required. */
  store: CollectionStore;
  /** Where the wrapped data keys live. Required. */
  keys: KeyStore;
  /** Unwraps the data keys. Required. */
  keyWrap: KeyWrap;
  /** Changes from every process, applied to the cached copies. Required. */
  events: CollectionEvents;
  /** Faces read per query while loading: peak memory is about the index plus one page. Default 1000. */
  pageSize?: number;
}

/** One cached collection: its data key (to open faces added later) and its faces. */
interface LoadedCollection {
  key: Buffer;
  faces: FaceMatrix;
}

/**
 * A cached collection: the copy as of the last change applied. Loading and every change are
 * chained on `latest`, so changes apply in the order they arrived, after the load, and a search
 * waits for the ones already announced.
 */
interface Entry {
  latest: Promise<LoadedCollection>;
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
 * Exact 1:N search over an in-process Float32Array copy of each collection, with the database as
 * the source of truth. A collection is loaded lazily, page by page, decrypting each face straight
 * into its row; after that, changes announced by any process (CollectionEvents) are applied as
 * deltas: an add reads just the new rows, a delete drops rows by id, and only a possibly missed
 * change (`everything`) or an erased collection costs a reload. Exact brute force is right up to
 * about 1M faces per collection (BENCHMARKS.md); the server refuses collections past
 * FACE_ENCODE_MAX_COLLECTION_FACES.
 */
export class CollectionIndex {
  readonly #o: CollectionIndexOptions;
  readonly #pageSize: number;
  readonly #cache = new Map<string, Entry>();

  constructor(options: CollectionIndexOptions) {
    this.#o = options;
    this.#pageSize = options.pageSize ?? 1000;
    options.events.onChange((change) => this.#apply(change));
  }

  /** The collection's data key in the clear; a key wrapped by a previous master key is rewrapped. */
  async dataKey(collectionId: string): Promise<Buffer> {
    const wrapped = await this.#o.keys.get(collectionId);
    if (!wrapped) throw new CollectionKeyMissing(`Collection ${collectionId} has no key.`);
    const { key, stale } = this.#o.keyWrap.unwrap(collectionId, wrapped);
    if (stale) await this.#o.keys.put(collectionId, this.#o.keyWrap.wrap(collectionId, key));
    return key;
  }

  /**
   * The top `k` faces within `maxDistance` of `probe`, nearest first. `expectedFaces` (the
   * collection's face count, when the caller knows it) sizes the matrix of a cold load up front.
   */
  async search(
    collectionId: string,
    probe: Float32Array,
    k: number,
    maxDistance: number,
    expectedFaces = 0,
  ): Promise<SearchHit[]> {
    const { faces } = await this.load(collectionId, expectedFaces);
    return exactSearch(faces.matrix, faces.count, probe, k, maxDistance).map((n) => ({
      face: faces.face(n.index),
      distance: n.distance,
    }));
  }

  /** Loads (or returns the cached copy of) a collection; exposed for the cold-start benchmark. */
  load(collectionId: string, expectedFaces = 0): Promise<LoadedCollection> {
    let entry = this.#cache.get(collectionId);
    if (!entry) {
      entry = { latest: this.#read(collectionId, expectedFaces) };
      this.#cache.set(collectionId, entry);
      this.#forgetOnFailure(collectionId, entry);
    }
    return entry.latest;
  }

  /** Faces held in memory across every cached collection. */
  async cachedFaces(): Promise<number> {
    let total = 0;
    for (const entry of this.#cache.values())
      total += await entry.latest.then(
        (c) => c.faces.count,
        () => 0,
      );
    return total;
  }

  #apply(change: CollectionChange): void {
    if (change.kind === 'everything') return this.#cache.clear();
    // A change during a load deletes the entry, so the next search reads again; the searches
    // already waiting get the copy from before the change.
    if (change.kind === 'dropped') return void this.#cache.delete(change.collectionId);
    const entry = this.#cache.get(change.collectionId);
    // Not cached: the next load reads the database as it is then.
    if (!entry) return;
    const { collectionId, faceIds } = change;
    entry.latest = entry.latest.then(async (loaded) => {
      if (change.kind === 'faces-removed') for (const id of faceIds) loaded.faces.remove(id);
      else {
        // Rows the load already read are skipped; rows erased meanwhile are simply not found.
        const missing = faceIds.filter((id) => !loaded.faces.has(id));
        if (missing.length > 0)
          this.#appendAll(loaded, collectionId, await this.#o.store.getSealedFaces(collectionId, missing));
      }
      return loaded;
    });
    this.#forgetOnFailure(collectionId, entry);
  }

  /** A failed load or change is not cached: the next search reads the collection again. */
  #forgetOnFailure(collectionId: string, entry: Entry): void {
    entry.latest.catch(() => {
      if (this.#cache.get(collectionId) === entry) this.#cache.delete(collectionId);
    });
  }

  /** Reads the collection a page at a time, so only one page of sealed rows is held at once. */
  async #read(collectionId: string, expectedFaces: number): Promise<LoadedCollection> {
    // Room for 1/16 more than expected, so the next adds do not each start with a copy of the
    // whole matrix into a bigger one (a full copy took 1 s at 100k faces on the loaded bench core).
    const room = expectedFaces + Math.ceil(expectedFaces / 16);
    const loaded = { key: await this.dataKey(collectionId), faces: new FaceMatrix(room) };
    let cursor: { createdAt: number; id: string } | null = null;
    for (;;) {
      const page = await this.#o.store.loadSealedFaces(collectionId, { limit: this.#pageSize, cursor });
      this.#appendAll(loaded, collectionId, page);
      const last = page[page.length - 1];
      if (page.length < this.#pageSize || !last) return loaded;
      cursor = { createdAt: last.createdAt, id: last.id };
    }
  }

  #appendAll({ key, faces }: LoadedCollection, collectionId: string, rows: SealedFace[]): void {
    for (const { sealed, ...face } of rows)
      faces.append(face, (into, offset) => openEncoding(key, collectionId, face.id, sealed, into, offset));
  }
}
