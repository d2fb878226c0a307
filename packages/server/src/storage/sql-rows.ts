// Rows of the metadata schema (the same columns in SQLite and PostgreSQL) and their mapping to the
// storage records. Integer times arrive as numbers in both engines; faces as parsed JSON (SQLite parses first).
import type { ImageReadOptions, OutboxEntry } from './metadata-store.js';
import type {
  ApiKeyRecord,
  FaceRecord,
  ImageRecord,
  Point,
  SessionRecord,
  WebhookRecord,
} from './records.js';

export interface SessionRow {
  id: string;
  user_id: string;
  state: SessionRecord['state'];
  created_at: number;
  expires_at: number;
  vendor_data: string | null;
  callback_url: string | null;
  webhook_secret: string | null;
  image_count: number;
}

export interface ImageRow {
  id: string;
  session_id: string;
  user_id: string;
  image_name: string | null;
  content_type: ImageRecord['contentType'];
  size_bytes: number;
  sha256: string;
  width: number | null;
  height: number | null;
  status: ImageRecord['status'];
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  completed_at: number | null;
  blob_key: string | null;
  /** Without landmarks since schema v5 (or migration 0004); rows written before hold them inline. */
  faces: FaceRecord[];
  /** Each face's landmarks, in the order of `faces`; selected only when asked, null in rows written before. */
  landmarks?: Point[][] | null;
  model_id: string | null;
  model_version: string | null;
  blob_sha256: string | null;
  upload_expires_at: number | null;
}

export interface OutboxRow {
  image_id: string;
  session_id: string;
  user_id: string;
  max_attempts: number;
  created_at: number;
}

export interface WebhookRow {
  event_id: string;
  session_id: string;
  url: string;
  payload: string;
  status: WebhookRecord['status'];
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
}

export interface ApiKeyRow {
  id: string;
  user_id: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** Column lists, so no statement selects a column (the key hash, the attempt key) it must not return. */
export const IMAGE_COLUMNS = `id, session_id, user_id, image_name, content_type, size_bytes, sha256, width, height,
  status, error_code, error_message, created_at, completed_at, blob_key, faces, model_id, model_version,
  blob_sha256, upload_expires_at`;
/** The image columns a read selects: the landmarks only when asked, so the driver neither sends nor parses them. */
export const imageColumns = (options?: ImageReadOptions) =>
  options?.landmarks ? `${IMAGE_COLUMNS}, landmarks` : IMAGE_COLUMNS;
export const API_KEY_COLUMNS = 'id, user_id, prefix, created_at, revoked_at, last_used_at';

export const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  userId: r.user_id,
  state: r.state,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  vendorData: r.vendor_data,
  callbackUrl: r.callback_url,
  webhookSecret: r.webhook_secret,
  imageCount: r.image_count,
});

/** How an outcome's faces are stored: the landmarks in a column of their own, read only when asked. */
export function storedFaces(faces: FaceRecord[]): { faces: FaceRecord[]; landmarks: Point[][] } {
  return {
    faces: faces.map(({ landmarks: _landmarks, ...face }) => face),
    landmarks: faces.map((face) => face.landmarks ?? []),
  };
}

/** The faces of a row, each with its landmarks when they were selected. */
const facesOf = (r: ImageRow): FaceRecord[] => {
  const { landmarks } = r;
  return landmarks ? r.faces.map((face, i) => ({ ...face, landmarks: landmarks[i] ?? [] })) : r.faces;
};

export const toImage = (r: ImageRow): ImageRecord => ({
  id: r.id,
  sessionId: r.session_id,
  userId: r.user_id,
  imageName: r.image_name,
  contentType: r.content_type,
  sizeBytes: r.size_bytes,
  sha256: r.sha256,
  width: r.width,
  height: r.height,
  status: r.status,
  error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
  createdAt: r.created_at,
  completedAt: r.completed_at,
  blobKey: r.blob_key,
  blobSha256: r.blob_sha256,
  uploadExpiresAt: r.upload_expires_at,
  faces: facesOf(r),
  model:
    r.model_id !== null && r.model_version !== null ? { id: r.model_id, version: r.model_version } : null,
});

export const toOutbox = (r: OutboxRow): OutboxEntry => ({
  imageId: r.image_id,
  sessionId: r.session_id,
  userId: r.user_id,
  maxAttempts: r.max_attempts,
  createdAt: r.created_at,
});

export const toWebhook = (r: WebhookRow): WebhookRecord => ({
  eventId: r.event_id,
  sessionId: r.session_id,
  url: r.url,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
});

export const toApiKey = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  userId: r.user_id,
  prefix: r.prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

/** The webhook columns a patch may set, by record field. */
export const WEBHOOK_PATCH_COLUMNS: Readonly<Record<string, string>> = {
  status: 'status',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  lastAttemptAt: 'last_attempt_at',
  lastStatusCode: 'last_status_code',
  lastError: 'last_error',
};
