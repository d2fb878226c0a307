import type { Client } from 'openapi-fetch';
import type { Attempt, FaceEncodeClient } from './client.js';
import type { paths } from './generated/openapi.js';
import type { AddFaceInput, CollectionFace, RequestOptions, SearchOptions, SessionSummary } from './types.js';
import { blobName } from './upload-body.js';

/** What the collection methods borrow from the client core. */
export interface CollectionMethodDeps<TInput> {
  raw: Client<paths>;
  send: <T>(attempt: Attempt<T>, opts?: RequestOptions) => Promise<T>;
  blobOf: (input: TInput) => Promise<Blob>;
  getSession: (sessionId: string, opts?: RequestOptions) => Promise<SessionSummary>;
}

type CollectionMethods<TInput> = Pick<
  FaceEncodeClient<TInput>,
  | 'createCollection'
  | 'getCollection'
  | 'listCollections'
  | 'deleteCollection'
  | 'addFaces'
  | 'listCollectionFaces'
  | 'iterateCollectionFaces'
  | 'deleteCollectionFace'
  | 'searchFaces'
>;

/** createCollection … searchFaces: collections of kept faces and 1:N search. */
export function collectionMethods<TInput>(d: CollectionMethodDeps<TInput>): CollectionMethods<TInput> {
  const collectionPath = (collectionId: string) => ({ path: { collection_id: collectionId } });
  const byId = (collectionId: string, opts: RequestOptions) => ({
    params: collectionPath(collectionId),
    headers: opts.headers,
  });
  const split = <Q extends RequestOptions>(query: Q) => {
    const { signal, timeoutMs, maxRetries: retries, headers, ...params } = query;
    return { params, headers, opts: { signal, timeoutMs, maxRetries: retries } };
  };

  const listCollectionFaces: CollectionMethods<TInput>['listCollectionFaces'] = (
    collectionId,
    query = {},
  ) => {
    const { params, headers, opts } = split(query);
    return d.send(
      (signal) =>
        d.raw.GET('/v1/collections/{collection_id}/faces', {
          params: { ...collectionPath(collectionId), query: params },
          headers,
          signal,
        }),
      opts,
    );
  };

  return {
    createCollection(name: string, opts: RequestOptions = {}) {
      return d.send(
        (signal) => d.raw.POST('/v1/collections', { body: { name }, headers: opts.headers, signal }),
        opts,
      );
    },

    getCollection(collectionId: string, opts: RequestOptions = {}) {
      return d.send(
        (signal) => d.raw.GET('/v1/collections/{collection_id}', { ...byId(collectionId, opts), signal }),
        opts,
      );
    },

    listCollections(query: { limit?: number; cursor?: string } & RequestOptions = {}) {
      const { params, headers, opts } = split(query);
      return d.send(
        (signal) => d.raw.GET('/v1/collections', { params: { query: params }, headers, signal }),
        opts,
      );
    },

    async deleteCollection(collectionId: string, opts: RequestOptions = {}) {
      await d.send(
        (signal) =>
          d.raw.DELETE('/v1/collections/{collection_id}', {
            ...byId(collectionId, opts),
            signal,
            parseAs: 'stream',
          }),
        opts,
      );
    },

    async addFaces(
      collectionId: string,
      sessionId: string,
      faces?: AddFaceInput[],
      opts: RequestOptions = {},
    ) {
      const chosen: AddFaceInput[] =
        faces ??
        (await d.getSession(sessionId, opts)).images
          .filter((i) => i.status === 'done' && i.faces.length > 0)
          .map((i) => ({ imageId: i.image_id }));
      const added: CollectionFace[] = [];
      // One at a time: a retried add is not idempotent, so no retries (a lost response would add twice).
      for (const face of chosen) {
        added.push(
          await d.send(
            (signal) =>
              d.raw.POST('/v1/collections/{collection_id}/faces', {
                params: collectionPath(collectionId),
                body: {
                  session_id: sessionId,
                  image_id: face.imageId,
                  face_index: face.faceIndex,
                  label: face.label,
                  external_id: face.externalId,
                },
                headers: opts.headers,
                signal,
              }),
            { ...opts, maxRetries: 0 },
          ),
        );
      }
      return added;
    },

    listCollectionFaces,

    async *iterateCollectionFaces(collectionId: string, query: { limit?: number } & RequestOptions = {}) {
      let cursor: string | undefined;
      do {
        const page = await listCollectionFaces(collectionId, { ...query, cursor });
        yield* page.items;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    },

    async deleteCollectionFace(collectionId: string, faceId: string, opts: RequestOptions = {}) {
      await d.send(
        (signal) =>
          d.raw.DELETE('/v1/collections/{collection_id}/faces/{face_id}', {
            params: { path: { collection_id: collectionId, face_id: faceId } },
            headers: opts.headers,
            signal,
            parseAs: 'stream',
          }),
        opts,
      );
    },

    async searchFaces(collectionId: string, probe: TInput | number[], opts: SearchOptions = {}) {
      const query = { k: opts.k, max_distance: opts.maxDistance, face_index: opts.faceIndex };
      const params = { ...collectionPath(collectionId), query };
      if (Array.isArray(probe)) {
        const body = { encoding: probe, ...(opts.model ? { model: opts.model } : {}) };
        return d.send(
          (signal) =>
            d.raw.POST('/v1/collections/{collection_id}/search', {
              params,
              body,
              headers: opts.headers,
              signal,
            }),
          opts,
        );
      }
      // The search stores nothing, so retrying it is safe.
      const blob = await d.blobOf(probe as TInput);
      return d.send(
        (signal) =>
          d.raw.POST('/v1/collections/{collection_id}/search', {
            params,
            body: { file: blob } as never,
            headers: opts.headers,
            bodySerializer: () => {
              const form = new FormData();
              form.append('file', blob, blobName(blob) ?? 'image');
              return form;
            },
            signal,
          }),
        opts,
      );
    },
  };
}
