// Every setting an operator can give face-encode-server, in one table: its flag, its environment
// variable, what values it takes (a JSON Schema, checked by ajv for flags and env alike), its default
// and a one-line doc. bin.ts builds the commands' flags from it and reads env through it; the settings
// table in docs/server-options.md is generated from it (test/config-docs.test.ts keeps them equal).
import { USER_ID, USER_ID_RULE } from './auth/user-id.js';
import { DEFAULT_CONFIG, type ServerConfig } from './config.js';

/** The JSON Schema of one value, once read from its string. */
export type ValueSchema =
  | { type: 'integer'; minimum: number; maximum?: number }
  | { type: 'number'; exclusiveMinimum: number }
  | { type: 'boolean' }
  | { type: 'string'; enum?: readonly string[]; minLength?: number; pattern?: string }
  | { type: 'array'; items: { type: 'string'; minLength: 1 } };

/** Settings of one command only, not part of ServerConfig. */
export interface CommandSettings {
  /** keys create: the user the key acts as. */
  user: string;
  /** cleanup: seconds before a blob nothing points at counts as an orphan. */
  orphanGrace: number;
}

export type SettingKey = keyof ServerConfig | keyof CommandSettings;

export interface ConfigOption {
  /** The ServerConfig (or CommandSettings) field it sets. */
  key: SettingKey;
  /** Commander flag, e.g. `--port <port>`; none: env only. */
  flag?: string;
  /** Environment variable; none: flag only. */
  env?: string;
  /** An old flag name still taken (hidden from help). */
  oldFlag?: string;
  /** An old variable name still read, after `env`. */
  oldEnv?: string;
  schema: ValueSchema;
  /** What is allowed, in words, when the schema alone says it badly (a pattern). */
  allowed?: string;
  /** The default in words, for help and docs; none: the DEFAULT_CONFIG value, or no default. */
  defaultText?: string;
  /** One line: what it does. */
  doc: string;
  /** Never echo the value in a message. */
  secret?: boolean;
}

const str = { type: 'string', minLength: 1 } as const;
const url = { type: 'string', pattern: '^https?://' } as const;
const bool = { type: 'boolean' } as const;
const list = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const atLeast = (minimum: number) => ({ type: 'integer', minimum }) as const;
const port = { type: 'integer', minimum: 0, maximum: 65_535 } as const;
const oneOf = (...values: string[]) => ({ type: 'string', enum: values }) as const;

/** Every flag and variable of face-encode-server, in the order help and docs list them. */
export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  { key: 'host', flag: '--host <host>', env: 'FACE_ENCODE_HOST', schema: str, doc: 'interface to bind' },
  {
    key: 'port',
    flag: '--port <port>',
    env: 'FACE_ENCODE_PORT',
    schema: port,
    doc: 'port; 0 picks a free one',
  },
  {
    key: 'dataDir',
    flag: '--data-dir <dir>',
    env: 'FACE_ENCODE_DATA_DIR',
    schema: str,
    doc: 'where SQLite and blobs live',
  },
  {
    key: 'auth',
    flag: '--auth <mode>',
    env: 'FACE_ENCODE_AUTH',
    schema: oneOf('demo', 'api-key', 'jwt'),
    doc: 'authentication',
  },
  {
    key: 'insecureDemoAuth',
    flag: '--insecure-demo-auth',
    schema: bool,
    defaultText: 'off',
    doc: 'allow demo auth on a non-loopback bind',
  },
  {
    key: 'maxFileMb',
    flag: '--max-file-mb <mb>',
    env: 'FACE_ENCODE_MAX_FILE_MB',
    schema: atLeast(1),
    doc: 'upload size limit in MiB',
  },
  {
    key: 'workers',
    flag: '--workers <n>',
    env: 'FACE_ENCODE_WORKERS',
    schema: atLeast(0),
    defaultText: 'the CPU count',
    doc: 'encoder threads; 0 runs the API only',
  },
  {
    key: 'keepImages',
    flag: '--keep-images',
    env: 'FACE_ENCODE_KEEP_IMAGES',
    schema: bool,
    defaultText: 'off',
    doc: 'keep raw images after encoding',
  },
  {
    key: 'corsOrigins',
    flag: '--cors-origin <origin...>',
    env: 'FACE_ENCODE_CORS_ORIGINS',
    schema: list,
    defaultText: 'none',
    doc: 'allowed CORS origins, or *; the variable takes them comma-separated',
  },
  {
    key: 'detector',
    flag: '--detector <name>',
    env: 'FACE_ENCODE_DETECTOR',
    schema: oneOf('ssd_mobilenetv1', 'tiny_face_detector'),
    doc: 'face detector',
  },
  {
    key: 'threshold',
    flag: '--threshold <distance>',
    env: 'FACE_ENCODE_THRESHOLD',
    schema: { type: 'number', exclusiveMinimum: 0 },
    doc: 'same-person distance threshold',
  },
  {
    key: 'jwksUrl',
    flag: '--jwks-url <url>',
    env: 'FACE_ENCODE_JWKS_URL',
    schema: url,
    doc: 'jwt auth: JWKS URL',
  },
  {
    key: 'jwtSecret',
    flag: '--jwt-secret <secret>',
    env: 'FACE_ENCODE_JWT_SECRET',
    schema: str,
    secret: true,
    doc: 'jwt auth: shared HS256 secret, at least 32 bytes',
  },
  { key: 'jwtIssuer', env: 'FACE_ENCODE_JWT_ISSUER', schema: str, doc: 'jwt auth: expected `iss`' },
  { key: 'jwtAudience', env: 'FACE_ENCODE_JWT_AUDIENCE', schema: str, doc: 'jwt auth: expected `aud`' },
  {
    key: 'jwtMaxAgeSeconds',
    flag: '--jwt-max-age <seconds>',
    env: 'FACE_ENCODE_JWT_MAX_AGE',
    schema: atLeast(1),
    doc: 'jwt auth: refuse tokens issued longer ago',
  },
  {
    key: 'webhookAllowPrivate',
    flag: '--webhook-allow-private',
    env: 'FACE_ENCODE_WEBHOOK_ALLOW_PRIVATE',
    schema: bool,
    defaultText: 'off',
    doc: 'let webhooks reach private and loopback addresses',
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'FACE_ENCODE_LOG_LEVEL',
    schema: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    doc: 'pino log level',
  },
  {
    key: 'encoder',
    flag: '--encoder <engine>',
    env: 'FACE_ENCODE_ENCODER',
    schema: oneOf('faceapi', 'remote'),
    doc: 'encoder engine',
  },
  {
    key: 'remoteEncoderUrl',
    flag: '--remote-encoder-url <url>',
    oldFlag: '--remote-url <url>',
    env: 'FACE_ENCODE_REMOTE_ENCODER_URL',
    oldEnv: 'FACE_ENCODE_REMOTE_URL',
    schema: url,
    doc: 'remote engine: a service speaking POST /v1/selfie, e.g. face-encode-server encoder',
  },
  {
    key: 'remoteEncoderToken',
    env: 'FACE_ENCODE_REMOTE_TOKEN',
    schema: str,
    secret: true,
    doc: 'remote engine: bearer token to send',
  },
  {
    key: 'migrate',
    flag: '--no-migrate',
    schema: bool,
    defaultText: 'migrate',
    doc: 'do not run database migrations at start',
  },
  {
    key: 'databaseUrl',
    flag: '--database-url <url>',
    env: 'FACE_ENCODE_DATABASE_URL',
    schema: str,
    defaultText: 'SQLite in the data dir',
    doc: 'postgres://…',
  },
  {
    key: 'keyDatabaseUrl',
    env: 'FACE_ENCODE_KEY_DATABASE_URL',
    schema: str,
    defaultText: 'the main database',
    doc: 'PostgreSQL: a database of its own for the collection keys',
  },
  {
    key: 'redisUrl',
    flag: '--redis-url <url>',
    env: 'FACE_ENCODE_REDIS_URL',
    schema: str,
    defaultText: 'none (embedded queue)',
    doc: 'redis://…: BullMQ queue, pub/sub waits, shared rate limits',
  },
  {
    key: 'redisPrefix',
    env: 'FACE_ENCODE_REDIS_PREFIX',
    schema: str,
    doc: 'prefix of every Redis key and channel',
  },
  {
    key: 'blobUrl',
    flag: '--blob-url <url>',
    env: 'FACE_ENCODE_BLOB_URL',
    schema: str,
    defaultText: 'file://<data-dir>/blobs',
    doc: 'file:///dir or s3://bucket/prefix',
  },
  {
    key: 's3Endpoint',
    flag: '--s3-endpoint <url>',
    env: 'FACE_ENCODE_S3_ENDPOINT',
    schema: url,
    defaultText: 'AWS',
    doc: 'S3 endpoint for MinIO, Ceph RGW, R2',
  },
  {
    key: 's3Region',
    flag: '--s3-region <region>',
    env: 'FACE_ENCODE_S3_REGION',
    schema: str,
    defaultText: "the SDK's chain, else us-east-1",
    doc: 'S3 region',
  },
  {
    key: 's3ForcePathStyle',
    flag: '--s3-force-path-style',
    env: 'FACE_ENCODE_S3_FORCE_PATH_STYLE',
    schema: bool,
    defaultText: 'off',
    doc: 'path-style S3 URLs',
  },
  {
    key: 'metricsPort',
    flag: '--metrics-port <port>',
    env: 'FACE_ENCODE_METRICS_PORT',
    schema: port,
    defaultText: 'none',
    doc: 'worker: serve /metrics (queue depth, oldest waiting job) on this port',
  },
  {
    key: 'rateLimitMax',
    env: 'FACE_ENCODE_RATE_LIMIT',
    schema: atLeast(1),
    doc: 'requests per user per minute',
  },
  {
    key: 'authFailureMax',
    env: 'FACE_ENCODE_AUTH_FAILURE_LIMIT',
    schema: atLeast(1),
    doc: 'failed authentications per client address per minute before 429',
  },
  {
    key: 'apiKeyCacheTtlMs',
    env: 'FACE_ENCODE_API_KEY_CACHE_TTL_MS',
    schema: atLeast(0),
    doc: 'ms a found API key is trusted without reading the store (the bound on a revoke)',
  },
  {
    key: 'uploadBufferMb',
    env: 'FACE_ENCODE_UPLOAD_BUFFER_MB',
    schema: atLeast(1),
    doc: 'MiB of upload bodies buffered at once; past it 503 with Retry-After',
  },
  {
    key: 'minFreeDiskMb',
    env: 'FACE_ENCODE_MIN_FREE_DISK_MB',
    schema: atLeast(0),
    doc: 'free MiB on the data disk below which /readyz says not ready',
  },
  {
    key: 'diskReserveMb',
    env: 'FACE_ENCODE_DISK_RESERVE_MB',
    schema: atLeast(0),
    doc: 'MiB kept in reserve so deletes run on a full disk; 0 keeps none',
  },
  {
    key: 'requestTimeoutMs',
    env: 'FACE_ENCODE_REQUEST_TIMEOUT_MS',
    schema: atLeast(1),
    doc: 'ms for a whole request (headers and body) to arrive, else 408',
  },
  {
    key: 'maxConnections',
    env: 'FACE_ENCODE_MAX_CONNECTIONS',
    schema: atLeast(1),
    doc: 'open connections per process; more are refused at accept',
  },
  {
    key: 'leaseMs',
    env: 'FACE_ENCODE_LEASE_MS',
    schema: atLeast(1),
    doc: 'queue visibility timeout in ms; heartbeats extend it',
  },
  {
    key: 'uploadUrlTtlSeconds',
    env: 'FACE_ENCODE_UPLOAD_URL_TTL',
    schema: atLeast(1),
    doc: 'seconds a direct-upload reservation (and its URL) lasts',
  },
  {
    key: 'uploadSecret',
    env: 'FACE_ENCODE_UPLOAD_SECRET',
    schema: { type: 'string', minLength: 16 },
    secret: true,
    defaultText: 'random per process',
    doc: 'signs file-store upload tokens; every API process of a deployment needs the same',
  },
  {
    key: 'masterKey',
    env: 'FACE_ENCODE_MASTER_KEY',
    schema: str,
    secret: true,
    defaultText: 'none (collections answer 503)',
    doc: "wraps each collection's data key: 32 bytes as base64 or hex",
  },
  {
    key: 'previousMasterKeys',
    env: 'FACE_ENCODE_PREVIOUS_MASTER_KEYS',
    schema: list,
    secret: true,
    defaultText: 'none',
    doc: 'master keys being rotated out, comma-separated',
  },
  {
    key: 'maxCollectionFaces',
    env: 'FACE_ENCODE_MAX_COLLECTION_FACES',
    schema: atLeast(1),
    doc: 'most faces in one collection',
  },
  {
    key: 'user',
    flag: '--user <user>',
    schema: { type: 'string', pattern: USER_ID.source },
    allowed: USER_ID_RULE,
    doc: 'keys create: the user the key acts as',
  },
  {
    key: 'orphanGrace',
    flag: '--orphan-grace <seconds>',
    schema: atLeast(0),
    defaultText: '3600',
    doc: 'cleanup: only blobs older than this can be orphans (an upload in flight writes its blob first)',
  },
];

/** The option of `key`; every key has one. */
export function optionOf(key: SettingKey): ConfigOption {
  const option = CONFIG_OPTIONS.find((o) => o.key === key);
  if (!option) throw new Error(`No config option ${key}.`);
  return option;
}

/** The default of an option in words, or null when it has none worth saying. */
export function defaultTextOf(option: ConfigOption): string | null {
  if (option.defaultText !== undefined) return option.defaultText;
  const value = option.key in DEFAULT_CONFIG ? DEFAULT_CONFIG[option.key as keyof ServerConfig] : null;
  return value === null || value === undefined ? null : String(value);
}
