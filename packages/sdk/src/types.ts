import type { components } from './generated/openapi.js';

export type Session = components['schemas']['Session'];
export type CreatedSession = components['schemas']['CreatedSession'];
export type SessionSummary = components['schemas']['SessionSummary'];
export type SessionList = components['schemas']['SessionList'];
export type Image = components['schemas']['Image'];
export type Face = components['schemas']['Face'];
export type Problem = components['schemas']['Problem'];
export type CreateSessionRequest = components['schemas']['CreateSessionRequest'];
export type SessionStatus = components['schemas']['SessionStatus'];
export type ErrorCode = components['schemas']['ErrorCode'];
export type Collection = components['schemas']['Collection'];
export type CollectionList = components['schemas']['CollectionList'];
export type CollectionFace = components['schemas']['CollectionFace'];
export type CollectionFaceList = components['schemas']['CollectionFaceList'];
export type SearchResult = components['schemas']['SearchResult'];
export type SearchMatch = components['schemas']['SearchMatch'];

/** A face to add to a collection: an image of a completed session, and which face (0, the largest, by default). */
export interface AddFaceInput {
  imageId: string;
  faceIndex?: number;
  label?: string | null;
  externalId?: string | null;
}

/** Options of `searchFaces`. */
export interface SearchOptions extends RequestOptions {
  /** Most matches. Default 5 (server), at most 100. */
  k?: number;
  /** Only matches at most this far. Default the server's same-person threshold. */
  maxDistance?: number;
  /** With an image, which face is the probe. Default 0, the largest. */
  faceIndex?: number;
  /** With an encoding, the model it came from; the server refuses another model's. Default none. */
  model?: string;
}

/** Options of `createFaceEncodeClient`. */
export interface ClientOptions {
  /** Server root URL. Default `http://127.0.0.1:3030` (node entry: env `FACE_ENCODE_URL` first). */
  baseUrl?: string;
  /** API key sent as `Authorization: Bearer`. Default none (node entry: env `FACE_ENCODE_API_KEY`). */
  apiKey?: string;
  /** JWT sent as `Authorization: Bearer` when no apiKey is given. Default none. */
  token?: string;
  /** Demo mode (`--auth demo`): the user named in the `user_id` header. Default none. */
  userId?: string;
  /** fetch implementation. Default `globalThis.fetch`, looked up at call time (so msw and polyfills apply). */
  fetch?: typeof fetch;
  /** Timeout of each HTTP attempt in ms. Default 60 000. */
  timeoutMs?: number;
  /** Retries after the first attempt on connection errors, timeouts, 408, 409, 429 and 5xx. Default 2. */
  maxRetries?: number;
  /** User-Agent header. Default none in the main entry; `face-encode-sdk/<version>` in the node entry. Browsers ignore it. */
  userAgent?: string;
  /** Extra headers sent with every request. Default none. */
  headers?: Record<string, string>;
}

/** Per-call options. */
export interface RequestOptions {
  /** Aborts the call (every attempt and the backoff between them). Default none. */
  signal?: AbortSignal;
  /** Timeout of each attempt in ms. Default the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Retries of this call after the first attempt. Default the client's `maxRetries`. */
  maxRetries?: number;
  /** Extra headers of this call, over the client's. Default none. */
  headers?: Record<string, string>;
}

/** Options of the methods that POST. */
export interface PostRequestOptions extends RequestOptions {
  /** Idempotency-Key kept across retries. Default a fresh `crypto.randomUUID()` per call. */
  idempotencyKey?: string;
}

/** What the main (browser-safe) entry uploads. */
export type UploadInput = Blob | File | ArrayBuffer | Uint8Array;

/** Options of `uploadImage`. */
export interface UploadOptions extends PostRequestOptions {
  /** Stored name of the image. Default the File's name, else none. */
  imageName?: string;
  /** Seconds (0..30) the server holds the response until the image is encoded. Default 0. */
  wait?: number;
  /**
   * Send the bytes straight to storage (reserve, PUT, complete) instead of through the API. Default false.
   * See docs/sdk.md for when it pays off.
   */
  direct?: boolean;
  /** Direct uploads: progress of the bytes, in browsers (XMLHttpRequest). Default none. */
  onUploadProgress?: (sent: number, total: number) => void;
}

/** Options of `waitForSession`. */
export interface WaitOptions {
  /** Overall wait in ms before a TimeoutError. Default 120 000. */
  timeoutMs?: number;
  /** Aborts the wait. Default none. */
  signal?: AbortSignal;
  /** Called with the summary whenever the session's or an image's status changes. Default none. */
  onProgress?: (s: SessionSummary) => void;
}

/** Options of `encode` and `compare`. */
export interface EncodeOptions extends WaitOptions {
  /** Body of the session to create. Default `{}` (server defaults). */
  session?: Partial<CreateSessionRequest>;
  /** Uploads in flight at once. Default 5. */
  concurrency?: number;
  /** Called after each upload with the file's index and the created image. Default none. */
  onUpload?: (index: number, image: Image) => void;
  /** Upload each file straight to storage (see `UploadOptions.direct`). Default false. */
  direct?: boolean;
  /** Direct uploads: progress of file `index`'s bytes, in browsers (XMLHttpRequest). Default none. */
  onUploadProgress?: (index: number, sent: number, total: number) => void;
}

/** A file for `encode`: the input alone, or with its image name. */
export type EncodeFile<TInput = UploadInput> = TInput | { input: TInput; imageName?: string };

/** Result of `compare`. */
export interface CompareResult {
  /** Whether the main faces of both images are the same person; null when it cannot be said. */
  samePerson: boolean | null;
  /** Euclidean distance between the two main faces; null without two faces. */
  distance: number | null;
  /** The distance under which two faces are the same person. */
  threshold: number;
  /** The full session summary. */
  summary: SessionSummary;
}
