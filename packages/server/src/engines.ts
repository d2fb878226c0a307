import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { LocalKeyRevocations, type KeyRevocations } from './auth/key-revocations.js';
import { RedisKeyRevocations } from './auth/redis-key-revocations.js';
import type { ServerConfig } from './config.js';
import type { ClusterLock } from './coordination/cluster-lock.js';
import { SqliteClusterLock } from './coordination/sqlite-cluster-lock.js';
import { LocalImageEvents, type ImageEvents } from './pipeline/image-events.js';
import { RedisImageEvents } from './pipeline/redis-image-events.js';
import { BullmqJobQueue } from './queue/bullmq-job-queue.js';
import type { JobQueue } from './queue/job-queue.js';
import { SqliteJobQueue } from './queue/sqlite-job-queue.js';
import type { BlobStore } from './storage/blob-store.js';
import { parseBlobUrl, type BlobLocation } from './storage/blob-url.js';
import { S3BlobStore } from './storage/s3-blob-store.js';
import { FsBlobStore } from './storage/fs-blob-store.js';
import type { MetadataStore } from './storage/metadata-store.js';
import { openPostgresDatabase } from './storage/postgres-database.js';
import { SqliteCheckpointer } from './storage/sqlite-checkpointer.js';
import { openSqliteDatabase } from './storage/sqlite-database.js';
import { SqliteMetadataStore } from './storage/sqlite-metadata-store.js';
import { LocalCollectionEvents, type CollectionEvents } from './collections/collection-events.js';
import { RedisCollectionEvents } from './collections/redis-collection-events.js';
import type { CollectionStore } from './storage/collection-store.js';
import type { KeyStore } from './storage/key-store.js';
import { PostgresCollectionStore } from './storage/postgres-collection-store.js';
import { PostgresKeyStore } from './storage/postgres-key-store.js';
import { SqliteCollectionStore } from './storage/sqlite-collection-store.js';
import { SqliteKeyStore } from './storage/sqlite-key-store.js';
import pg from 'pg';

/** A configuration the server cannot run; the message is one line saying what to set. */
export class EngineConfigError extends Error {
  override name = 'EngineConfigError';
}

/** The engines of one process, picked by URL: embedded defaults, or PostgreSQL, Redis and S3. */
export interface Engines {
  store: MetadataStore;
  queue: JobQueue;
  blobs: BlobStore;
  events: ImageEvents;
  lock: ClusterLock;
  /** Face collections (sealed templates), their keys and change notices across API processes. */
  collections: { store: CollectionStore; keys: KeyStore; events: CollectionEvents };
  /** A Redis client for the shared rate-limit store; null counts per process (embedded). */
  rateLimitRedis: Redis | null;
  /** Api-key revocations: over Redis pub/sub when configured (every process drops the key), else in this process. */
  keyRevocations: KeyRevocations;
  /** Local folders the data lives in (SQLite's, file blobs'), for the disk-space check. */
  localDirs: string[];
  /** What was picked, for the start-up log line. */
  kinds: { database: 'sqlite' | 'postgres'; queue: 'sqlite' | 'bullmq'; blobs: 'file' | 's3' };
  /** Applies pending database migrations (SQLite's run when the file opens, so this is a no-op there). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

type Part<T> = { value: T; close: () => Promise<void> };

/** Opens every engine `config` names, or throws EngineConfigError before opening any. */
export async function openEngines(config: ServerConfig): Promise<Engines> {
  const databaseKind = databaseKindOf(config.databaseUrl);
  if (databaseKind === 'postgres' && !config.redisUrl) {
    throw new EngineConfigError(
      'PostgreSQL needs a queue every process shares: set --redis-url (FACE_ENCODE_REDIS_URL) too.',
    );
  }
  if (config.redisUrl && !/^rediss?:\/\//.test(config.redisUrl)) {
    throw new EngineConfigError(
      `--redis-url must be redis://host:port or rediss://host:port, got "${config.redisUrl}".`,
    );
  }
  const blobs = await openBlobs(config);
  const opened: Array<() => Promise<void>> = [blobs.close];
  try {
    const db = await openDatabase(config, databaseKind);
    opened.push(db.close);
    const redis = config.redisUrl ? openRedisParts(config, config.redisUrl) : null;
    if (redis) opened.push(redis.close);
    const queue = redis?.queue ?? db.queue;
    if (!queue) throw new EngineConfigError('No job queue: set --redis-url (FACE_ENCODE_REDIS_URL).');
    return {
      store: db.store,
      queue,
      blobs: blobs.value,
      events: redis?.events ?? new LocalImageEvents(),
      lock: db.lock,
      collections: {
        store: db.collections,
        keys: db.keys,
        events: redis?.collectionEvents ?? new LocalCollectionEvents(),
      },
      rateLimitRedis: redis?.rateLimit ?? null,
      keyRevocations: redis?.keyRevocations ?? new LocalKeyRevocations(),
      localDirs: [
        ...new Set([...(databaseKind === 'sqlite' ? [dirname(sqlitePath(config))] : []), ...blobs.dirs]),
      ],
      kinds: { database: databaseKind, queue: redis ? 'bullmq' : 'sqlite', blobs: blobs.kind },
      migrate: db.migrate,
      close: () => closeAll(opened),
    };
  } catch (error) {
    await closeAll(opened);
    throw error;
  }
}

async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of [...closers].reverse()) await close().catch(() => {});
}

function databaseKindOf(url: string | null): 'sqlite' | 'postgres' {
  if (url === null || url.startsWith('sqlite:') || url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new EngineConfigError(
    `--database-url must be postgres://… (or unset for SQLite in the data dir), got "${url.split('@').pop()}".`,
  );
}

interface DatabaseParts {
  store: MetadataStore;
  /** The embedded queue lives in the SQLite file; PostgreSQL deployments use BullMQ. */
  queue: JobQueue | null;
  lock: ClusterLock;
  collections: CollectionStore;
  keys: KeyStore;
  migrate: () => Promise<void>;
  close: () => Promise<void>;
}

async function openDatabase(config: ServerConfig, kind: 'sqlite' | 'postgres'): Promise<DatabaseParts> {
  if (kind === 'postgres') return openPostgres(config);
  const path = sqlitePath(config);
  const db = openSqliteDatabase({ path });
  const store = new SqliteMetadataStore({ db });
  const checkpointer = new SqliteCheckpointer({ db, path });
  // The keys live in a file of their own: a copy of the database file holds no key.
  const keys = new SqliteKeyStore({ path: join(config.dataDir, 'collection-keys.db') });
  return {
    store,
    queue: new SqliteJobQueue({ db }),
    lock: new SqliteClusterLock({ db }),
    collections: new SqliteCollectionStore({ db }),
    keys,
    migrate: async () => {},
    close: async () => {
      await checkpointer.stop();
      await keys.close();
      await store.close();
    },
  };
}

function sqlitePath(config: ServerConfig): string {
  const url = config.databaseUrl;
  if (!url) return join(config.dataDir, 'face-encode.db');
  return url.replace(/^(sqlite|file):(\/\/)?/, '');
}

async function openPostgres(config: ServerConfig): Promise<DatabaseParts> {
  const db = openPostgresDatabase({ databaseUrl: config.databaseUrl as string });
  const keyPool = config.keyDatabaseUrl
    ? new pg.Pool({ connectionString: config.keyDatabaseUrl, max: 4 })
    : null;
  keyPool?.on('error', () => {});
  return {
    store: db.store,
    queue: null,
    lock: db.lock,
    collections: new PostgresCollectionStore({ pool: db.pool }),
    keys: new PostgresKeyStore(keyPool ? { pool: keyPool, closePool: true } : { pool: db.pool }),
    migrate: async () => {
      await db.migrate();
    },
    close: async () => {
      await keyPool?.end();
      await db.close();
    },
  };
}

function openRedisParts(config: ServerConfig, url: string) {
  const prefix = config.redisPrefix;
  const queue = new BullmqJobQueue({
    connection: redisConnection(url),
    prefix,
    // A dead worker's job comes back within about two checks after its lease ran out.
    stalledIntervalMs: Math.min(5000, config.leaseMs),
  });
  const events = new RedisImageEvents({ url, prefix });
  const collectionEvents = new RedisCollectionEvents({ url, prefix });
  const rateLimit = new Redis(url, {
    // Every guarded request counts here: the hits of one turn go to Redis in one write, not one each.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    keyPrefix: `${prefix}:`,
  });
  rateLimit.on('error', () => {});
  const keyRevocations = new RedisKeyRevocations({ url, prefix });
  return {
    queue,
    events,
    collectionEvents,
    rateLimit,
    keyRevocations,
    close: async () => {
      await queue.close();
      await events.close();
      await keyRevocations.close();
      await collectionEvents.close();
      await rateLimit.quit().catch(() => {});
    },
  };
}

/** BullMQ wants connection options it can duplicate; `maxRetriesPerRequest: null` is its requirement for workers. */
function redisConnection(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

async function openBlobs(
  config: ServerConfig,
): Promise<Part<BlobStore> & { kind: 'file' | 's3'; dirs: string[] }> {
  if (config.blobUrl === null) {
    const store = new FsBlobStore({ dir: join(config.dataDir, 'blobs') });
    return { value: store, kind: 'file', dirs: [config.dataDir], close: () => store.close() };
  }
  let location: BlobLocation;
  try {
    location = parseBlobUrl(config.blobUrl);
  } catch (error) {
    throw new EngineConfigError(`--blob-url: ${(error as Error).message}`);
  }
  if (location.kind === 'file') {
    const store = new FsBlobStore({ dir: location.dir });
    return { value: store, kind: 'file', dirs: [location.dir], close: () => store.close() };
  }
  const store = new S3BlobStore({
    bucket: location.bucket,
    prefix: location.prefix,
    endpoint: config.s3Endpoint ?? undefined,
    region: config.s3Region ?? undefined,
    // Unset means the store's default (path-style whenever an endpoint is given).
    forcePathStyle: config.s3ForcePathStyle ? true : undefined,
  });
  return { value: store, kind: 's3', dirs: [], close: () => store.close() };
}
