import { availableParallelism } from 'node:os';

/** `none` is for the stateless encoder only (`face-encode-server encoder`): it stores nothing per user. */
export type AuthMode = 'demo' | 'api-key' | 'jwt' | 'none';
export type EncoderEngine = 'faceapi' | 'remote';

/**
 * Everything the server can be told. `buildApp(config, deps)` takes a full config; `resolveConfig`
 * fills defaults. Environment variables are read only in `bin.ts` (the entry point), never here.
 */
export interface ServerConfig {
  /** Interface to bind. Default `127.0.0.1`. Env FACE_ENCODE_HOST. */
  host: string;
  /** Port to listen on; 0 picks a free one. Default 3030. Env FACE_ENCODE_PORT. */
  port: number;
  /** Where SQLite and blobs live. Default `./.face-encode`. Env FACE_ENCODE_DATA_DIR. */
  dataDir: string;
  /** How callers authenticate. Default `api-key`. Env FACE_ENCODE_AUTH. */
  auth: AuthMode;
  /** Allow demo auth on a non-loopback bind. Default false. */
  insecureDemoAuth: boolean;
  /** JWT mode: a JWKS URL to verify tokens with. Env FACE_ENCODE_JWKS_URL. */
  jwksUrl: string | null;
  /** JWT mode: a shared HS256 secret. Env FACE_ENCODE_JWT_SECRET. */
  jwtSecret: string | null;
  /** JWT mode: expected `iss`, when set. Env FACE_ENCODE_JWT_ISSUER. */
  jwtIssuer: string | null;
  /** JWT mode: expected `aud`, when set. Env FACE_ENCODE_JWT_AUDIENCE. */
  jwtAudience: string | null;
  /** JWT mode: tokens issued (`iat`) longer ago than this, in seconds, are refused. Default 86 400. Env FACE_ENCODE_JWT_MAX_AGE. */
  jwtMaxAgeSeconds: number;
  /** Upload size limit in MiB. Default 8. Env FACE_ENCODE_MAX_FILE_MB. */
  maxFileMb: number;
  /** Decoded pixel limit; larger images are invalid_image. Default 40 000 000. */
  maxPixels: number;
  /** Upload bodies buffered at once per process, in MiB; past it uploads get 503 with Retry-After. Default 256. Env FACE_ENCODE_UPLOAD_BUFFER_MB. */
  uploadBufferMb: number;
  /** Free MiB on the data dir's disk below which /readyz says not ready. Default 64. Env FACE_ENCODE_MIN_FREE_DISK_MB. */
  minFreeDiskMb: number;
  /** MiB kept in `<data-dir>/space-reserve`, given up so deletes still run on a full disk. Default 16; 0 keeps none. Env FACE_ENCODE_DISK_RESERVE_MB. */
  diskReserveMb: number;
  /** Uploads decoded and re-encoded at once per process. Default: CPU count. */
  uploadDecodes: number;
  /** JSON body limit in bytes. Default 65536. */
  maxJsonBytes: number;
  /** Encoder worker threads in this process; 0 runs none (API only). Default: CPU count. Env FACE_ENCODE_WORKERS. */
  workers: number;
  /** Keep raw images after encoding. Default false (privacy). Env FACE_ENCODE_KEEP_IMAGES. */
  keepImages: boolean;
  /** Encoder engine. Default `faceapi`. Env FACE_ENCODE_ENCODER. */
  encoder: EncoderEngine;
  /** Face detector of the faceapi engine: `ssd_mobilenetv1` (accurate) or `tiny_face_detector` (fast). Default ssd_mobilenetv1. Env FACE_ENCODE_DETECTOR. */
  detector: 'ssd_mobilenetv1' | 'tiny_face_detector';
  /** Remote engine: URL of a service speaking POST /v1/selfie. Env FACE_ENCODE_REMOTE_URL. */
  remoteEncoderUrl: string | null;
  /** Remote engine: bearer token to send. Env FACE_ENCODE_REMOTE_TOKEN. */
  remoteEncoderToken: string | null;
  /** Same-person threshold on Euclidean distance. Default 0.6. Env FACE_ENCODE_THRESHOLD. */
  threshold: number;
  /** Max faces per image before too_many_faces. Default 5. */
  maxFaces: number;
  /** Max images per session (the API documents 5). Default 5. */
  maxImages: number;
  /** Attempts per job before dead-lettering. Default 3. */
  maxAttempts: number;
  /** Per-job timeout in ms. Default 30 000. */
  jobTimeoutMs: number;
  /** Queue visibility timeout in ms; heartbeats extend it. Default 30 000. */
  leaseMs: number;
  /** Requests per user per window. Default 300. Env FACE_ENCODE_RATE_LIMIT. */
  rateLimitMax: number;
  /** Failed authentications per client address per rate-limit window before 429. Default 20. Env FACE_ENCODE_AUTH_FAILURE_LIMIT. */
  authFailureMax: number;
  /** How long a found API key is trusted without reading the store: the bound on a revoke no message reaches. Default 5 000. Env FACE_ENCODE_API_KEY_CACHE_TTL_MS. */
  apiKeyCacheTtlMs: number;
  /** Rate limit window in ms. Default 60 000. */
  rateLimitWindowMs: number;
  /** Allowed CORS origins; `*` allows any; empty disables CORS. Default []. Env FACE_ENCODE_CORS_ORIGINS (comma-separated). */
  corsOrigins: string[];
  /** Cleanup interval in ms; 0 disables the timer. Default 60 000. */
  cleanupIntervalMs: number;
  /** Allow webhooks to private, loopback and link-local addresses. Default false. Env FACE_ENCODE_WEBHOOK_ALLOW_PRIVATE. */
  webhookAllowPrivate: boolean;
  /** Webhook attempts before giving up. Default 6. */
  webhookMaxAttempts: number;
  /** Whole request (headers and body) must arrive within this, else 408; bounds slow uploads (slowloris). Default 60 000. Env FACE_ENCODE_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs: number;
  /** Request headers must arrive within this, else 408. Default 10 000. */
  headersTimeoutMs: number;
  /** A socket with no traffic at all for this long is closed. Default 30 000. */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. Default 5 000. */
  keepAliveTimeoutMs: number;
  /** Open connections per process; more are refused at accept. Default 1 024. Env FACE_ENCODE_MAX_CONNECTIONS. */
  maxConnections: number;
  /** Requests per keep-alive socket before it is closed. Default 1 000. */
  maxRequestsPerSocket: number;
  /** Bound on graceful shutdown in ms. Default 10 000. */
  shutdownTimeoutMs: number;
  /** pino log level. Default `info`. Env FACE_ENCODE_LOG_LEVEL. */
  logLevel: string;
  /** Metadata database: null for SQLite in the data dir, or a `postgres://` URL. Env FACE_ENCODE_DATABASE_URL. */
  databaseUrl: string | null;
  /** Run pending database migrations at start. Default true. */
  migrate: boolean;
  /** Redis URL: selects BullMQ for the queue, pub/sub for `?wait=` and a shared rate-limit store. Default null (embedded). Env FACE_ENCODE_REDIS_URL. */
  redisUrl: string | null;
  /** Prefix of every Redis key and channel, so deployments can share a Redis. Default `face-encode`. Env FACE_ENCODE_REDIS_PREFIX. */
  redisPrefix: string;
  /** Blob storage: null for `file://<data-dir>/blobs`, or `file:///dir`, or `s3://bucket/prefix`. Env FACE_ENCODE_BLOB_URL. */
  blobUrl: string | null;
  /** S3 endpoint for MinIO, Ceph RGW, R2 (null: AWS). Env FACE_ENCODE_S3_ENDPOINT. */
  s3Endpoint: string | null;
  /** S3 region. Default null (the SDK's chain, else us-east-1). Env FACE_ENCODE_S3_REGION. */
  s3Region: string | null;
  /** Path-style S3 URLs (MinIO, Ceph RGW). Default false. Env FACE_ENCODE_S3_FORCE_PATH_STYLE. */
  s3ForcePathStyle: boolean;
  /** How long a direct-upload reservation (and its URL) lasts, in seconds. Default 900. Env FACE_ENCODE_UPLOAD_URL_TTL. */
  uploadUrlTtlSeconds: number;
  /** Key that signs file-store upload tokens (PUT /v1/uploads/{token}); every API process of a deployment needs the same. Default null: a random one per process. Env FACE_ENCODE_UPLOAD_SECRET. */
  uploadSecret: string | null;
  /** Worker processes: serve /metrics on this port (0 picks one; null: none). Env FACE_ENCODE_METRICS_PORT. */
  metricsPort: number | null;
  /** Wraps each collection's data key: 32 bytes as base64 or hex; collections answer 503 without it. Default null. Env FACE_ENCODE_MASTER_KEY. */
  masterKey: string | null;
  /** Master keys being rotated out (same format): keys they wrapped still open and are rewrapped. Default []. Env FACE_ENCODE_PREVIOUS_MASTER_KEYS (comma-separated). */
  previousMasterKeys: string[];
  /** Most faces in one collection (exact search is right up to about 1M). Default 1 000 000. Env FACE_ENCODE_MAX_COLLECTION_FACES. */
  maxCollectionFaces: number;
  /** PostgreSQL only: a database (URL) of its own for the collection keys, backed up apart from the templates. Default null (the main database). Env FACE_ENCODE_KEY_DATABASE_URL. */
  keyDatabaseUrl: string | null;
}

export const DEFAULT_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 3030,
  dataDir: './.face-encode',
  auth: 'api-key',
  insecureDemoAuth: false,
  jwksUrl: null,
  jwtSecret: null,
  jwtIssuer: null,
  jwtAudience: null,
  jwtMaxAgeSeconds: 86_400,
  maxFileMb: 8,
  maxPixels: 40_000_000,
  maxJsonBytes: 65_536,
  uploadBufferMb: 256,
  minFreeDiskMb: 64,
  diskReserveMb: 16,
  uploadDecodes: availableParallelism(),
  workers: availableParallelism(),
  keepImages: false,
  encoder: 'faceapi',
  detector: 'ssd_mobilenetv1',
  remoteEncoderUrl: null,
  remoteEncoderToken: null,
  threshold: 0.6,
  maxFaces: 5,
  maxImages: 5,
  maxAttempts: 3,
  jobTimeoutMs: 30_000,
  leaseMs: 30_000,
  rateLimitMax: 300,
  rateLimitWindowMs: 60_000,
  authFailureMax: 20,
  apiKeyCacheTtlMs: 5_000,
  corsOrigins: [],
  cleanupIntervalMs: 60_000,
  webhookAllowPrivate: false,
  webhookMaxAttempts: 6,
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_024,
  maxRequestsPerSocket: 1_000,
  shutdownTimeoutMs: 10_000,
  logLevel: 'info',
  databaseUrl: null,
  migrate: true,
  redisUrl: null,
  redisPrefix: 'face-encode',
  blobUrl: null,
  s3Endpoint: null,
  s3Region: null,
  s3ForcePathStyle: false,
  uploadUrlTtlSeconds: 900,
  uploadSecret: null,
  metricsPort: null,
  masterKey: null,
  previousMasterKeys: [],
  maxCollectionFaces: 1_000_000,
  keyDatabaseUrl: null,
};

export function resolveConfig(partial: Partial<ServerConfig> = {}): ServerConfig {
  return { ...DEFAULT_CONFIG, ...partial };
}
