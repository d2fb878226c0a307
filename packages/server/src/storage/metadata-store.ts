import type { ModelInfo } from '../encoder/encoder.js';
import type {
  ApiKeyRecord,
  FaceRecord,
  IdempotencyBegin,
  ImageErrorRecord,
  ImageRecord,
  SessionRecord,
  SessionState,
  WebhookRecord,
} from './records.js';

/** What an image read returns beyond the record itself. */
export interface ImageReadOptions {
  /**
   * Each face's 68 landmarks (`?include=landmarks`). Default false: they are half of a face's stored numbers and
   * parsing them is most of an image read, for a field the default response leaves out.
   */
  landmarks?: boolean;
}

/**
 * Sessions, images, faces, API keys, idempotency records and webhook deliveries.
 *
 * Every user-facing read and write takes the caller's userId and treats another user's ids as
 * missing, so ownership is enforced here and never only in routes. Adapters: `sqlite-metadata-store.ts`
 * (embedded default) and `postgres-metadata-store.ts`. All adapters pass
 * `test/storage/metadata-store.conformance.ts`.
 */
export interface MetadataStore {
  createSession(input: NewSession): Promise<SessionRecord>;
  getSession(userId: string, sessionId: string): Promise<SessionRecord | null>;
  /** Newest first; `cursor` is the last item of the previous page. */
  listSessions(userId: string, query: ListSessionsQuery): Promise<SessionRecord[]>;
  /**
   * Erases the session, its images, faces, outbox, idempotency and webhook rows. Returns what lives
   * elsewhere and must go too (blobs, queued jobs), or null when missing.
   */
  deleteSession(userId: string, sessionId: string): Promise<ErasedSession | null>;

  /**
   * Records an image and its outbox entry (the encode job to publish) in ONE transaction, after
   * checking ownership, expiry and the per-session image limit under a lock, so parallel uploads
   * cannot pass the limit and no image is ever recorded without its job.
   */
  addImage(input: NewImage): Promise<AddImageResult>;
  /**
   * Reserves a slot for a direct upload: the image is recorded `awaiting_upload` until
   * `uploadExpiresAt`, with the same ownership, expiry and limit checks under the same lock as
   * addImage (reservations and uploads share the limit), and no outbox entry yet.
   */
  reserveImage(input: NewReservation): Promise<ReserveImageResult>;
  /**
   * Turns an `awaiting_upload` image of the caller into a queued one whose blob is `blobKey`, and
   * records its outbox entry, in one transaction. Refused when the image is missing or not awaiting.
   */
  completeUpload(input: CompleteUpload): Promise<CompleteUploadResult>;
  /** `awaiting_upload` images whose reservation lapsed before `now`, oldest first (for cleanup). */
  listLapsedReservations(now: number, limit: number): Promise<LapsedReservation[]>;
  /**
   * Deletes a lapsed `awaiting_upload` image and gives its slot back. False when it is no longer
   * awaiting or not lapsed (completed meanwhile) or gone.
   */
  releaseReservation(imageId: string, now: number): Promise<boolean>;
  /** Outbox entries not yet acknowledged, created at or before `createdBefore`, oldest first. */
  pendingOutbox(createdBefore: number, limit: number): Promise<OutboxEntry[]>;
  /** Marks entries published (the queue has their jobs); unknown ids are ignored. */
  ackOutbox(imageIds: string[]): Promise<void>;
  getImage(
    userId: string,
    sessionId: string,
    imageId: string,
    options?: ImageReadOptions,
  ): Promise<ImageRecord | null>;
  listImages(userId: string, sessionId: string, options?: ImageReadOptions): Promise<ImageRecord[]>;

  /** For workers: the image with its session's owner, or null when the image or session is gone. */
  getImageForJob(imageId: string): Promise<ImageRecord | null>;
  markImageProcessing(imageId: string): Promise<void>;
  /**
   * Writes an image's outcome once. `attemptKey` (image id + job attempt) makes a redelivered job a
   * no-op; a missing image or session writes nothing. When this finishes the session's last image,
   * the session becomes `completed` and `sessionCompleted` is true.
   */
  finishImage(input: FinishImage): Promise<FinishImageResult>;
  /** Forgets the raw image's blob key once the blob was deleted after encoding. */
  clearImageBlob(imageId: string): Promise<void>;

  /**
   * Claims an idempotency key. The record is tied to `sessionId` so that erasing the session also
   * erases the replayable response (it may hold encodings).
   */
  beginIdempotency(input: BeginIdempotency): Promise<IdempotencyBegin>;
  /** Stores the response to replay, kept until `expiresAt` when given (else the claim's expiry). */
  completeIdempotency(
    userId: string,
    key: string,
    statusCode: number,
    body: string,
    expiresAt?: number,
  ): Promise<void>;
  /** Drops an in-flight record after a request failed without a replayable response. */
  abandonIdempotency(userId: string, key: string): Promise<void>;
  /** Whether the key holds an unexpired record (claimed or finished): a read, no claim. */
  hasIdempotency(userId: string, key: string, now: number): Promise<boolean>;

  createApiKey(input: { id: string; userId: string; prefix: string; hash: string }): Promise<ApiKeyRecord>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string): Promise<boolean>;
  /**
   * The active (not revoked) key with this hash; touches lastUsedAt when it is older than
   * API_KEY_TOUCH_INTERVAL_MS (`now` defaults to the clock).
   */
  findApiKeyByHash(hash: string, now?: number): Promise<ApiKeyRecord | null>;

  createWebhook(
    record: Omit<WebhookRecord, 'attempts' | 'lastAttemptAt' | 'lastStatusCode' | 'lastError'>,
  ): Promise<void>;
  getWebhook(sessionId: string): Promise<WebhookRecord | null>;
  /** The session's webhook signing secret, for the dispatcher (no owner check: internal). */
  getWebhookSecret(sessionId: string): Promise<string | null>;
  updateWebhook(
    eventId: string,
    patch: Partial<Omit<WebhookRecord, 'eventId' | 'sessionId' | 'payload' | 'url'>>,
  ): Promise<void>;
  /**
   * Claims up to `limit` due pending deliveries for `leaseMs`: their nextAttemptAt moves to
   * now + leaseMs in the same statement, so no other process claims them meanwhile. The claimer's
   * updateWebhook then records the outcome (or a crash lets the lease run out and they are due again).
   */
  claimDueWebhooks(now: number, limit: number, leaseMs: number): Promise<WebhookRecord[]>;

  /** Sessions whose expiresAt is before `now`, oldest first. */
  listExpiredSessions(now: number, limit: number): Promise<Array<{ id: string } & ErasedSession>>;
  /** Deletes a session and everything in it regardless of owner (cleanup). */
  purgeSession(sessionId: string): Promise<void>;
  /** Every blob key the store still references (to find orphaned blobs). */
  listReferencedBlobKeys(): Promise<Set<string>>;
  /** Drops expired idempotency records. */
  purgeIdempotency(now: number): Promise<number>;

  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface NewSession {
  id: string;
  userId: string;
  ttlSeconds: number;
  vendorData: string | null;
  callbackUrl: string | null;
  webhookSecret: string | null;
  now: number;
}

export interface ListSessionsQuery {
  limit: number;
  cursor: { createdAt: number; id: string } | null;
  state: SessionState | 'expired' | null;
  now: number;
}

export interface BeginIdempotency {
  userId: string;
  key: string;
  sessionId: string;
  requestHash: string;
  ttlMs: number;
  /**
   * How long an unfinished claim holds the key (default ttlMs). Past it, the process that claimed
   * it is taken to have died, and the same payload may claim it again (`reclaimed`).
   */
  leaseMs?: number;
  now: number;
}

export interface NewImage {
  id: string;
  userId: string;
  sessionId: string;
  imageName: string | null;
  contentType: ImageRecord['contentType'];
  sizeBytes: number;
  sha256: string;
  blobKey: string;
  /** Hex SHA-256 of the blob, for the worker's check. Default: none (not checked). */
  blobSha256?: string | null;
  maxImages: number;
  maxAttempts: number;
  now: number;
}

export interface NewReservation extends Omit<NewImage, 'maxAttempts' | 'blobSha256'> {
  /** When the reservation lapses and cleanup frees its slot. */
  uploadExpiresAt: number;
}

export type ReserveImageResult =
  | { ok: true; image: ImageRecord }
  | { ok: false; reason: 'session_not_found' | 'session_expired' | 'too_many_images' };

export interface CompleteUpload {
  userId: string;
  sessionId: string;
  imageId: string;
  /** The normalized blob the worker encodes. */
  blobKey: string;
  blobSha256: string;
  maxAttempts: number;
  now: number;
}

export type CompleteUploadResult =
  | { ok: true; image: ImageRecord; job: OutboxEntry }
  | { ok: false; reason: 'image_not_found' | 'not_awaiting_upload' };

export interface LapsedReservation {
  imageId: string;
  sessionId: string;
  /** Where the client was to upload; delete it, an object may have arrived. */
  blobKey: string | null;
}

/** What an erased session leaves in other stores: its blobs and its images' queued jobs. */
export interface ErasedSession {
  blobKeys: string[];
  imageIds: string[];
}

/** An encode job waiting to be published to the queue (the transactional outbox). */
export interface OutboxEntry {
  imageId: string;
  sessionId: string;
  userId: string;
  maxAttempts: number;
  createdAt: number;
}

export type AddImageResult =
  | { ok: true; image: ImageRecord; job: OutboxEntry }
  | { ok: false; reason: 'session_not_found' | 'session_expired' | 'too_many_images' };

export interface FinishImage {
  imageId: string;
  attemptKey: string;
  now: number;
  outcome:
    | { status: 'done'; width: number; height: number; faces: FaceRecord[]; model: ModelInfo }
    | { status: 'failed'; error: ImageErrorRecord; width?: number | null; height?: number | null };
}

export type FinishImageResult =
  | { written: true; sessionId: string; sessionCompleted: boolean }
  | { written: false; reason: 'duplicate' | 'gone' };

/**
 * lastUsedAt is for humans ("used today?"), so a minute's resolution is plenty: writing it on every
 * authenticated request turned each read into a database write.
 */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000;
