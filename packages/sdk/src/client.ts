import createClient, { type Client } from 'openapi-fetch';
import { ApiPromise, withResponse, type WithResponse } from './api-promise.js';
import { errorFromResponse } from './error-mapping.js';
import { AbortError, ConnectionError, FaceEncodeError, TimeoutError, ValidationError } from './errors.js';
import type { paths } from './generated/openapi.js';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-policy.js';
import { anySignal, sleep, timeoutSignal } from './signals.js';
import type {
  AddFaceInput,
  ClientOptions,
  Collection,
  CollectionFace,
  CollectionFaceList,
  CollectionList,
  SearchOptions,
  SearchResult,
  CompareResult,
  CreateSessionRequest,
  CreatedSession,
  EncodeFile,
  EncodeOptions,
  Image,
  PostRequestOptions,
  RequestOptions,
  Session,
  SessionList,
  SessionStatus,
  SessionSummary,
  UploadInput,
  UploadOptions,
  WaitOptions,
} from './types.js';
import { describeUpload, sendUpload } from './direct-upload.js';
import { blobName, contentDigest, randomId } from './upload-body.js';
import { collectionMethods } from './collection-methods.js';

/**
 * The face-encode client. `TInput` is what uploads accept (the node entry widens it).
 * Each method that is one HTTP call returns an `ApiPromise`: await it for the data, or call
 * `.withResponse()` for `{ data, response, requestId }`.
 */
export interface FaceEncodeClient<TInput = UploadInput> {
  /** The typed openapi-fetch client (no retries, no error mapping). */
  readonly raw: Client<paths>;
  createSession(body?: Partial<CreateSessionRequest>, opts?: PostRequestOptions): ApiPromise<CreatedSession>;
  getSession(
    sessionId: string,
    opts?: RequestOptions & { include?: 'landmarks' },
  ): ApiPromise<SessionSummary>;
  deleteSession(sessionId: string, opts?: RequestOptions): ApiPromise<void>;
  listSessions(
    query?: { limit?: number; cursor?: string; status?: SessionStatus } & RequestOptions,
  ): ApiPromise<SessionList>;
  iterateSessions(
    query?: { limit?: number; status?: SessionStatus } & RequestOptions,
  ): AsyncIterableIterator<Session>;
  getImage(
    sessionId: string,
    imageId: string,
    opts?: RequestOptions & { include?: 'landmarks' },
  ): ApiPromise<Image>;
  uploadImage(sessionId: string, input: TInput, opts?: UploadOptions): ApiPromise<Image>;
  waitForSession(sessionId: string, opts?: WaitOptions): Promise<SessionSummary>;
  encode(files: EncodeFile<TInput>[], opts?: EncodeOptions): Promise<SessionSummary>;
  compare(a: EncodeFile<TInput>, b: EncodeFile<TInput>, opts?: EncodeOptions): Promise<CompareResult>;
  encodeSelfie(input: TInput, opts?: PostRequestOptions): ApiPromise<number[][]>;
  createCollection(name: string, opts?: RequestOptions): Promise<Collection>;
  getCollection(collectionId: string, opts?: RequestOptions): Promise<Collection>;
  listCollections(query?: { limit?: number; cursor?: string } & RequestOptions): Promise<CollectionList>;
  deleteCollection(collectionId: string, opts?: RequestOptions): Promise<void>;
  /** Keeps faces of a completed session: the largest face of every done image, or the ones chosen. */
  addFaces(
    collectionId: string,
    sessionId: string,
    faces?: AddFaceInput[],
    opts?: RequestOptions,
  ): Promise<CollectionFace[]>;
  listCollectionFaces(
    collectionId: string,
    query?: { limit?: number; cursor?: string } & RequestOptions,
  ): Promise<CollectionFaceList>;
  iterateCollectionFaces(
    collectionId: string,
    query?: { limit?: number } & RequestOptions,
  ): AsyncIterableIterator<CollectionFace>;
  deleteCollectionFace(collectionId: string, faceId: string, opts?: RequestOptions): Promise<void>;
  /** Finds the person of a selfie (an upload input) or of a 128-number encoding in a collection. */
  searchFaces(collectionId: string, probe: TInput | number[], opts?: SearchOptions): Promise<SearchResult>;
}

/** How an entry point turns its inputs into Blobs and which defaults it adds. */
export interface ClientCoreConfig<TInput> {
  /** Converts an upload input into a Blob (a File keeps its name). */
  toBlob: (input: TInput) => Blob | Promise<Blob>;
  /** Tells an `EncodeFile` wrapper object from a bare input. */
  isInput: (value: unknown) => value is TInput;
}

const DEFAULT_BASE_URL = 'http://127.0.0.1:3030';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;
const DEFAULT_WAIT_MS = 120_000;
const MAX_IMAGES = 5;
/** Seconds each `encode` upload lets the server hold the response while it encodes. */
const ENCODE_UPLOAD_WAIT_S = 10;

export type Attempt<T> = (signal: AbortSignal) => Promise<{ data?: T; error?: unknown; response: Response }>;

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('The request was aborted.', { code: 'aborted', cause: signal.reason });
}

function timeoutError(ms: number, cause?: unknown): TimeoutError {
  return new TimeoutError(`The request timed out after ${ms} ms.`, { code: 'timeout', cause });
}

function buildHeaders(options: ClientOptions): Record<string, string> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  const bearer = options.apiKey ?? options.token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (options.userId) headers.user_id = options.userId;
  if (options.userAgent) headers['User-Agent'] = options.userAgent;
  return { ...headers, ...options.headers };
}

/** Builds a client; the entry points (`index.ts`, `node.ts`) supply how inputs become Blobs. */
export function createClientCore<TInput>(
  options: ClientOptions,
  config: ClientCoreConfig<TInput>,
): FaceEncodeClient<TInput> {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const clientTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const raw = createClient<paths>({
    baseUrl,
    headers: buildHeaders(options),
    // Resolved per call so msw, polyfills and test doubles installed after creation still apply.
    fetch: (request: Request) => (options.fetch ?? globalThis.fetch)(request),
  });

  /** Runs `attempt` (see `attempts`) as one ApiPromise. */
  function send<T>(attempt: Attempt<T>, opts: RequestOptions = {}): ApiPromise<T> {
    return new ApiPromise(attempts(attempt, opts));
  }

  /** Runs an attempt with a per-attempt timeout, retrying transient failures with backoff. */
  async function attempts<T>(attempt: Attempt<T>, opts: RequestOptions): Promise<WithResponse<T>> {
    const callerSignal = opts.signal;
    const timeoutMs = opts.timeoutMs ?? clientTimeoutMs;
    const retries = opts.maxRetries ?? maxRetries;
    for (let retry = 0; ; retry++) {
      if (callerSignal?.aborted) throw abortError(callerSignal);
      const timeout = timeoutSignal(timeoutMs);
      const signal = callerSignal ? anySignal([callerSignal, timeout]) : timeout;
      let failure: FaceEncodeError;
      let retryAfter: number | undefined;
      try {
        const result = await attempt(signal);
        if (result.response.ok) return withResponse(result.data as T, result.response);
        failure = errorFromResponse(result.response, result.error);
        // A 409 is worth retrying only while an idempotency key is in flight; other conflicts stay.
        const conflict = result.response.status === 409 && failure.code !== 'idempotency_conflict';
        if (!isRetryableStatus(result.response.status) || conflict) throw failure;
        retryAfter = parseRetryAfter(result.response.headers.get('retry-after'));
      } catch (error) {
        if (error instanceof FaceEncodeError) throw error;
        if (callerSignal?.aborted) throw abortError(callerSignal);
        failure = timeout.aborted
          ? timeoutError(timeoutMs, error)
          : new ConnectionError(`Could not reach ${baseUrl}: ${String((error as Error)?.message ?? error)}`, {
              code: 'connection_error',
              cause: error,
            });
      }
      if (retry >= retries) throw failure;
      try {
        await sleep(retryDelayMs(retry, retryAfter), callerSignal);
      } catch {
        throw abortError(callerSignal as AbortSignal);
      }
    }
  }

  async function blobOf(input: TInput): Promise<Blob> {
    try {
      return await config.toBlob(input);
    } catch (error) {
      throw new ValidationError(`Cannot read the upload input: ${(error as Error).message}`, {
        code: 'validation_failed',
        cause: error,
      });
    }
  }

  /** One upload, its Blob, name and digest ready before the first attempt. */
  async function prepareUpload(
    sessionId: string,
    input: TInput,
    opts: UploadOptions,
  ): Promise<WithResponse<Image>> {
    const blob = await blobOf(input);
    const name = opts.imageName ?? blobName(blob);
    if (opts.direct) return directUpload(sessionId, blob, name, opts);
    // One key for every attempt: a retried upload replays the first response instead of taking a slot.
    const idempotencyKey = opts.idempotencyKey ?? randomId();
    const digest = await contentDigest(blob);
    const header = {
      ...opts.headers,
      'Idempotency-Key': idempotencyKey,
      ...(digest ? { 'Content-Digest': digest } : {}),
    };
    const query = opts.wait !== undefined ? { wait: opts.wait } : undefined;
    // The server may hold the response for `wait` seconds; never let the attempt time out before that.
    const timeoutMs = Math.max(opts.timeoutMs ?? clientTimeoutMs, (opts.wait ?? 0) * 1000 + 10_000);
    return attempts(
      (signal) =>
        raw.POST('/v1/image/{session_id}', {
          params: { path: { session_id: sessionId }, query, header },
          body: { file: blob, ...(name ? { image_name: name } : {}) },
          // A fresh FormData per attempt; fetch sets the multipart Content-Type with its boundary.
          bodySerializer: (body) => {
            const form = new FormData();
            form.append('file', body.file, name ?? 'image');
            if (body.image_name) form.append('image_name', body.image_name);
            return form;
          },
          signal,
        }),
      { signal: opts.signal, timeoutMs, maxRetries: opts.maxRetries },
    );
  }

  const client: FaceEncodeClient<TInput> = {
    raw,
    ...collectionMethods<TInput>({
      raw,
      send,
      blobOf,
      getSession: (sessionId, opts) => client.getSession(sessionId, opts),
    }),

    createSession(body = {}, opts = {}) {
      // One key for every attempt: a retry after a lost response gets the same session, not a second one.
      const headers = { ...opts.headers, 'Idempotency-Key': opts.idempotencyKey ?? randomId() };
      return send(
        (signal) => raw.POST('/v1/session', { body: body as CreateSessionRequest, headers, signal }),
        opts,
      );
    },

    getSession(sessionId, opts = {}) {
      const query = opts.include ? { include: opts.include } : undefined;
      return send(
        (signal) =>
          raw.GET('/v1/session/{session_id}', {
            params: { path: { session_id: sessionId }, query },
            headers: opts.headers,
            signal,
          }),
        opts,
      );
    },

    deleteSession(sessionId, opts) {
      return send(async (signal) => {
        const { response, error } = await raw.DELETE('/v1/session/{session_id}', {
          params: { path: { session_id: sessionId } },
          headers: opts?.headers,
          signal,
          parseAs: 'stream',
        });
        return { data: undefined, error, response };
      }, opts);
    },

    listSessions(query = {}) {
      const { signal: callerSignal, timeoutMs, maxRetries: retries, headers, ...params } = query;
      return send((signal) => raw.GET('/v1/sessions', { params: { query: params }, headers, signal }), {
        signal: callerSignal,
        timeoutMs,
        maxRetries: retries,
      });
    },

    async *iterateSessions(query = {}) {
      let cursor: string | undefined;
      do {
        const page = await client.listSessions({ ...query, cursor });
        yield* page.items;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    },

    getImage(sessionId, imageId, opts = {}) {
      const query = opts.include ? { include: opts.include } : undefined;
      return send(
        (signal) =>
          raw.GET('/v1/image/{session_id}/{image_id}', {
            params: { path: { session_id: sessionId, image_id: imageId }, query },
            headers: opts.headers,
            signal,
          }),
        opts,
      );
    },

    uploadImage(sessionId, input, opts = {}) {
      return new ApiPromise(prepareUpload(sessionId, input, opts));
    },

    async waitForSession(sessionId, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
      const deadline = timeoutSignal(timeoutMs);
      const signal = opts.signal ? anySignal([opts.signal, deadline]) : deadline;
      let delay = 250;
      let lastState = '';
      try {
        for (;;) {
          const session = await client.getSession(sessionId, { signal });
          const state = `${session.status}|${session.images.map((i) => `${i.image_id}:${i.status}`).join(',')}`;
          if (state !== lastState) {
            lastState = state;
            opts.onProgress?.(session);
          }
          if (session.status === 'completed' || session.status === 'expired') return session;
          await sleep(delay, signal);
          delay = Math.min(delay * 1.5, 2_000);
        }
      } catch (error) {
        if (opts.signal?.aborted) throw abortError(opts.signal);
        if (deadline.aborted) throw timeoutError(timeoutMs, error);
        throw error;
      }
    },

    async encode(files, opts = {}) {
      if (files.length === 0) {
        throw new ValidationError('encode needs at least one file.', { code: 'validation_failed' });
      }
      if (files.length > MAX_IMAGES) {
        throw new ValidationError(`A session holds at most ${MAX_IMAGES} images; got ${files.length}.`, {
          code: 'too_many_images',
        });
      }
      const session = await client.createSession(opts.session ?? {}, { signal: opts.signal });
      const jobs = files.map((file, index) => ({ index, ...normalize(file) }));
      const concurrency = Math.max(1, opts.concurrency ?? MAX_IMAGES);
      const worker = async (): Promise<void> => {
        for (let job = jobs.shift(); job; job = jobs.shift()) {
          const image = await client.uploadImage(session.session_id, job.input, {
            imageName: job.imageName,
            wait: ENCODE_UPLOAD_WAIT_S,
            signal: opts.signal,
            direct: opts.direct,
            onUploadProgress: opts.onUploadProgress
              ? (sent, total) => opts.onUploadProgress?.(job.index, sent, total)
              : undefined,
          });
          opts.onUpload?.(job.index, image);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
      return client.waitForSession(session.session_id, opts);
    },

    async compare(a, b, opts) {
      const summary = await client.encode([a, b], opts);
      return {
        samePerson: summary.summary.same_person,
        distance: summary.summary.max_distance,
        threshold: summary.summary.threshold,
        summary,
      };
    },

    encodeSelfie(input, opts = {}) {
      // The encoder stores nothing, so a retry is safe without a key; one is sent when asked for.
      const headers = opts.idempotencyKey
        ? { ...opts.headers, 'Idempotency-Key': opts.idempotencyKey }
        : opts.headers;
      const encoded = blobOf(input).then((blob) =>
        attempts<number[][]>(
          (signal) =>
            raw.POST('/v1/selfie', {
              body: { file: blob },
              headers,
              bodySerializer: (body) => {
                const form = new FormData();
                form.append('file', body.file, blobName(blob) ?? 'image');
                return form;
              },
              signal,
            }),
          opts,
        ),
      );
      return new ApiPromise(encoded);
    },
  };

  /**
   * Reserve a slot, PUT the bytes to the returned target, complete. The reservation is retried under one
   * Idempotency-Key, so a retry after a lost response gets the same reservation, not a second slot; the
   * PUT is sent once (its URL takes one write); completing is retried, and a retry that finds it done
   * reads the image.
   */
  async function directUpload(
    sessionId: string,
    blob: Blob,
    name: string | undefined,
    opts: UploadOptions,
  ): Promise<WithResponse<Image>> {
    const declared = await describeUpload(new Uint8Array(await blob.arrayBuffer()));
    const idempotencyKey = opts.idempotencyKey ?? randomId();
    const reserved = await send(
      (signal) =>
        raw.POST('/v1/image/{session_id}/upload-url', {
          params: { path: { session_id: sessionId }, header: { 'Idempotency-Key': idempotencyKey } },
          body: { ...declared, ...(name ? { image_name: name } : {}) },
          headers: opts.headers,
          signal,
        }),
      { signal: opts.signal, timeoutMs: opts.timeoutMs, maxRetries: opts.maxRetries },
    );
    await sendUpload(reserved.upload, new Blob([blob], { type: declared.content_type }), {
      fetch: (...args) => (options.fetch ?? globalThis.fetch)(...args),
      signal: opts.signal,
      onProgress: opts.onUploadProgress,
    });
    const query = opts.wait !== undefined ? { wait: opts.wait } : undefined;
    const timeoutMs = Math.max(opts.timeoutMs ?? clientTimeoutMs, (opts.wait ?? 0) * 1000 + 10_000);
    try {
      return await attempts(
        (signal) =>
          raw.POST('/v1/image/{session_id}/{image_id}/complete', {
            params: { path: { session_id: sessionId, image_id: reserved.image_id }, query },
            headers: opts.headers,
            signal,
          }),
        { signal: opts.signal, timeoutMs, maxRetries: opts.maxRetries },
      );
    } catch (error) {
      if (error instanceof FaceEncodeError && error.code === 'upload_completed')
        return client.getImage(sessionId, reserved.image_id, { signal: opts.signal }).withResponse();
      throw error;
    }
  }

  function normalize(file: EncodeFile<TInput>): { input: TInput; imageName?: string } {
    if (config.isInput(file)) return { input: file };
    return file as { input: TInput; imageName?: string };
  }

  return client;
}
