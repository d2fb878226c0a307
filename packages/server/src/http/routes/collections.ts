import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CollectionKeyMissing, type CollectionIndex } from '../../collections/collection-index.js';
import type { CollectionEvents } from '../../collections/collection-events.js';
import { ENCODING_DIMS, sealEncoding, type KeyWrap } from '../../collections/template-crypto.js';
import { ApiError } from '../../errors/error-catalog.js';
import type {
  CollectionFaceRecord,
  CollectionRecord,
  CollectionStore,
} from '../../storage/collection-store.js';
import type { KeyStore } from '../../storage/key-store.js';
import { receiveUpload } from '../receive-upload.js';
import { decodeCursor, encodeCursor } from '../session-cursor.js';
import { toEncoderApiError } from './selfie.js';
import { uploadLimits, userOf, type HandlerDeps } from './handler-deps.js';
import { sessionNotFound } from './route-errors.js';

/** What the collection routes add to the session server's dependencies. */
export interface CollectionDeps {
  store: CollectionStore;
  keys: KeyStore;
  events: CollectionEvents;
  /** Null when no master key is configured: collections then answer 503 collections_unavailable. */
  keyWrap: KeyWrap | null;
  index: CollectionIndex | null;
}

type Page = { limit?: number; cursor?: string };
type CollectionParams = { collection_id: string };
type AddFaceBody = {
  session_id: string;
  image_id: string;
  face_index?: number;
  label?: string | null;
  external_id?: string | null;
};
type SearchQuery = { k?: number; max_distance?: number; face_index?: number };

const iso = (ms: number) => new Date(ms).toISOString();

const toApiCollection = (c: CollectionRecord) => ({
  collection_id: c.id,
  name: c.name,
  model: c.modelId,
  face_count: c.faceCount,
  created_at: iso(c.createdAt),
});

const toApiFace = (f: CollectionFaceRecord) => ({
  face_id: f.id,
  collection_id: f.collectionId,
  label: f.label,
  external_id: f.externalId,
  session_id: f.sessionId,
  image_id: f.imageId,
  face_index: f.faceIndex,
  created_at: iso(f.createdAt),
});

const collectionNotFound = (id: string) =>
  new ApiError('collection_not_found', `Collection ${id} not found.`);

/** One page of `rows` fetched with limit + 1: the extra row says whether there is a next page. */
function pageOf<T extends { id: string; createdAt: number }, A>(
  rows: T[],
  limit: number,
  map: (row: T) => A,
) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(map),
    next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

const pageQuery = (q: Page) => ({
  limit: (q.limit ?? 20) + 1,
  cursor: q.cursor ? decodeCursor(q.cursor) : null,
});

function parseEncoding(body: unknown): { probe: Float32Array; model: string | null } {
  const { encoding, model } = (body ?? {}) as { encoding?: unknown; model?: unknown };
  if (
    !Array.isArray(encoding) ||
    encoding.length !== ENCODING_DIMS ||
    !encoding.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new ApiError(
      'validation_failed',
      `Send \`encoding\` as ${ENCODING_DIMS} finite numbers, or a \`file\`.`,
      {
        errors: [{ path: '/encoding', message: `must be an array of ${ENCODING_DIMS} finite numbers` }],
      },
    );
  }
  if (model !== undefined && typeof model !== 'string')
    throw new ApiError('validation_failed', '`model` must be a model id string.');
  return { probe: Float32Array.from(encoding as number[]), model: (model as string | undefined) ?? null };
}

/** createCollection … searchCollection: collections of kept faces and 1:N search. */
export function collectionRoutes(d: HandlerDeps & { collections: CollectionDeps }) {
  const { config, collections: c } = d;

  /** The index and key wrapper, or 503 when the operator has not set a master key. */
  function engine(): { index: CollectionIndex; keyWrap: KeyWrap } {
    if (!c.index || !c.keyWrap) {
      throw new ApiError(
        'collections_unavailable',
        'Collections need a master key to encrypt templates: the operator sets FACE_ENCODE_MASTER_KEY.',
      );
    }
    return { index: c.index, keyWrap: c.keyWrap };
  }

  async function owned(request: FastifyRequest<{ Params: CollectionParams }>): Promise<CollectionRecord> {
    engine();
    const collection = await c.store.getCollection(userOf(request), request.params.collection_id);
    if (!collection) throw collectionNotFound(request.params.collection_id);
    return collection;
  }

  /** The data key; a collection erased since it was read is simply not found. */
  async function dataKey(index: CollectionIndex, id: string): Promise<Buffer> {
    return index.dataKey(id).catch((error: unknown) => {
      throw error instanceof CollectionKeyMissing ? collectionNotFound(id) : error;
    });
  }

  function refuseOtherModel(collection: CollectionRecord, model: string | null | undefined) {
    if (model && model !== collection.modelId) {
      throw new ApiError(
        'model_mismatch',
        `Collection ${collection.id} holds encodings of model ${collection.modelId}; these are of ${model} and cannot be compared.`,
      );
    }
  }

  /** The probe of a multipart search: the largest face of the selfie (or `face_index`), never stored. */
  async function probeOfSelfie(request: FastifyRequest, reply: FastifyReply, faceIndex: number) {
    const upload = await receiveUpload(request, { ...uploadLimits(config), withName: false });
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    const result = await d.pipeline.encodeNow(upload.normalized, { signal: abort.signal }).catch((error) => {
      throw toEncoderApiError(error);
    });
    const face = result.faces[faceIndex];
    if (!face) {
      throw new ApiError(
        'no_face',
        result.faces.length === 0
          ? 'No face found in the image.'
          : `The image has ${result.faces.length} faces; face_index ${faceIndex} is out of range.`,
      );
    }
    return { probe: Float32Array.from(face.encoding), model: d.pipeline.model.id };
  }

  return {
    async createCollection(request: FastifyRequest<{ Body: { name: string } }>, reply: FastifyReply) {
      const { keyWrap } = engine();
      const id = randomUUID();
      // The key first: a collection row never exists without its key.
      await c.keys.put(id, keyWrap.newDataKey(id).wrapped);
      const collection = await c.store.createCollection({
        id,
        userId: userOf(request),
        name: request.body.name,
        modelId: d.pipeline.model.id,
        now: d.now(),
      });
      return reply.code(201).header('location', `/v1/collections/${id}`).send(toApiCollection(collection));
    },

    async listCollections(request: FastifyRequest<{ Querystring: Page }>, reply: FastifyReply) {
      engine();
      const rows = await c.store.listCollections(userOf(request), pageQuery(request.query));
      return reply.send(pageOf(rows, request.query.limit ?? 20, toApiCollection));
    },

    async getCollection(request: FastifyRequest<{ Params: CollectionParams }>, reply: FastifyReply) {
      return reply.send(toApiCollection(await owned(request)));
    },

    async deleteCollection(request: FastifyRequest<{ Params: CollectionParams }>, reply: FastifyReply) {
      const collection = await owned(request);
      // Crypto-shredding: the key goes first, so even rows a failure (or a backup) leaves behind
      // can never be decrypted again.
      await c.keys.delete(collection.id);
      await c.store.deleteCollection(collection.userId, collection.id);
      await c.events.publish({ kind: 'dropped', collectionId: collection.id });
      return reply.code(204).send();
    },

    async addCollectionFace(
      request: FastifyRequest<{ Params: CollectionParams; Body: AddFaceBody }>,
      reply: FastifyReply,
    ) {
      const { index } = engine();
      const collection = await owned(request);
      const body = request.body;
      const userId = userOf(request);
      const session = await d.store.getSession(userId, body.session_id);
      if (!session) throw sessionNotFound(body.session_id);
      if (session.state !== 'completed') {
        throw new ApiError(
          'session_not_completed',
          `Session ${session.id} is ${session.state}; add faces once every image is encoded.`,
        );
      }
      const image = await d.store.getImage(userId, session.id, body.image_id);
      if (!image)
        throw new ApiError('image_not_found', `Image ${body.image_id} not found in session ${session.id}.`);
      const faceIndex = body.face_index ?? 0;
      const face = image.faces[faceIndex];
      if (!face) {
        throw new ApiError(
          'no_face',
          `Image ${image.id} has ${image.faces.length} faces; face_index ${faceIndex} is out of range.`,
        );
      }
      refuseOtherModel(collection, image.model?.id);
      const key = await dataKey(index, collection.id);
      const faceId = randomUUID();
      const added = await c.store.addFace({
        id: faceId,
        userId,
        collectionId: collection.id,
        label: body.label ?? null,
        externalId: body.external_id ?? null,
        sessionId: session.id,
        imageId: image.id,
        faceIndex,
        sealed: sealEncoding(key, collection.id, faceId, face.encoding),
        maxFaces: config.maxCollectionFaces,
        now: d.now(),
      });
      if (!added.ok) {
        if (added.reason === 'collection_not_found') throw collectionNotFound(collection.id);
        throw new ApiError(
          'collection_full',
          `Collection ${collection.id} holds ${config.maxCollectionFaces} faces, the most this server keeps in one collection.`,
        );
      }
      await c.events.publish({ kind: 'faces-added', collectionId: collection.id, faceIds: [faceId] });
      return reply
        .code(201)
        .header('location', `/v1/collections/${collection.id}/faces/${faceId}`)
        .send(toApiFace(added.face));
    },

    async listCollectionFaces(
      request: FastifyRequest<{ Params: CollectionParams; Querystring: Page }>,
      reply: FastifyReply,
    ) {
      engine();
      const rows = await c.store.listFaces(
        userOf(request),
        request.params.collection_id,
        pageQuery(request.query),
      );
      if (!rows) throw collectionNotFound(request.params.collection_id);
      return reply.send(pageOf(rows, request.query.limit ?? 20, toApiFace));
    },

    async deleteCollectionFace(
      request: FastifyRequest<{ Params: CollectionParams & { face_id: string } }>,
      reply: FastifyReply,
    ) {
      const collection = await owned(request);
      const deleted = await c.store.deleteFace(collection.userId, collection.id, request.params.face_id);
      if (!deleted) {
        throw new ApiError(
          'collection_face_not_found',
          `Face ${request.params.face_id} not found in collection ${collection.id}.`,
        );
      }
      await c.events.publish({
        kind: 'faces-removed',
        collectionId: collection.id,
        faceIds: [request.params.face_id],
      });
      return reply.code(204).send();
    },

    async searchCollection(
      request: FastifyRequest<{ Params: CollectionParams; Querystring: SearchQuery }>,
      reply: FastifyReply,
    ) {
      const { index } = engine();
      const collection = await owned(request);
      const {
        k = 5,
        max_distance: maxDistance = config.threshold,
        face_index: faceIndex = 0,
      } = request.query;
      const { probe, model } = request.isMultipart()
        ? await probeOfSelfie(request, reply, faceIndex)
        : parseEncoding(request.body);
      refuseOtherModel(collection, model);
      const hits = await index
        .search(collection.id, probe, k, maxDistance, collection.faceCount)
        .catch((error: unknown) => {
          throw error instanceof CollectionKeyMissing ? collectionNotFound(collection.id) : error;
        });
      return reply.send({
        matches: hits.map((h) => ({
          face_id: h.face.id,
          label: h.face.label,
          external_id: h.face.externalId,
          session_id: h.face.sessionId,
          image_id: h.face.imageId,
          distance: h.distance,
          same_person: h.distance <= config.threshold,
        })),
        threshold: config.threshold,
        model: collection.modelId,
      });
    },
  };
}
