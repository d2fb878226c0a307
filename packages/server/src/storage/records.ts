// Plain records that cross the storage interfaces. Times are epoch milliseconds; the HTTP layer
// turns them into ISO strings. Nothing here knows about SQL or HTTP.

export type SessionState = 'open' | 'processing' | 'completed';
/** `awaiting_upload`: reserved for a direct upload, its bytes not yet completed (issue 14). */
export type ImageStatus = 'awaiting_upload' | 'queued' | 'processing' | 'done' | 'failed';

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Point {
  x: number;
  y: number;
}
export interface FaceQuality {
  face_px: number;
  brightness: number;
  sharpness: number;
  yaw: number;
  roll: number;
}
export interface FaceRecord {
  box: FaceBox;
  score: number;
  /** The 68 points; a store may leave them out unless asked (ImageReadOptions), since few reads need them. */
  landmarks?: Point[];
  encoding: number[];
  quality: FaceQuality;
}

export interface SessionRecord {
  id: string;
  userId: string;
  /** Stored state; `expired` is derived by the HTTP layer from expiresAt. */
  state: SessionState;
  createdAt: number;
  expiresAt: number;
  vendorData: string | null;
  callbackUrl: string | null;
  webhookSecret: string | null;
  imageCount: number;
}

export interface ImageErrorRecord {
  code: string;
  message: string;
}

export interface ImageRecord {
  id: string;
  sessionId: string;
  userId: string;
  imageName: string | null;
  contentType: 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif';
  sizeBytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  status: ImageStatus;
  error: ImageErrorRecord | null;
  createdAt: number;
  completedAt: number | null;
  /** Key of the raw image in the BlobStore; null once it was deleted after encoding. */
  blobKey: string | null;
  /** Hex SHA-256 of the blob at blobKey, when known: the worker checks it before encoding. */
  blobSha256: string | null;
  /** Until when an `awaiting_upload` reservation holds its slot; null for other images. */
  uploadExpiresAt: number | null;
  /** Faces in order, largest first. Empty until done. */
  faces: FaceRecord[];
  /** The model that computed the faces' encodings; null until done. Encodings of different models are not comparable. */
  model: { id: string; version: string } | null;
}

export interface ApiKeyRecord {
  id: string;
  userId: string;
  /** First characters of the key, shown in listings so a user can tell keys apart. */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export type WebhookStatus = 'pending' | 'delivered' | 'failed' | 'refused';
export interface WebhookRecord {
  eventId: string;
  sessionId: string;
  url: string;
  /** The exact JSON body; retries resend the same bytes and event id. */
  payload: string;
  status: WebhookStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

export type IdempotencyBegin =
  | { state: 'new' }
  /** Claimed again after the lease of an unfinished claim with the same payload ran out (a crash). */
  | { state: 'reclaimed' }
  | { state: 'in_flight' }
  | { state: 'mismatch' }
  | { state: 'replay'; statusCode: number; body: string };
