import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.js';
import { createApiKey, revokeApiKey } from './auth/api-keys.js';
import { resolveConfig, type ServerConfig } from './config.js';
import { SqliteClusterLock } from './coordination/sqlite-cluster-lock.js';
import { openEngines, type Engines } from './engines.js';
import { createMetrics } from './http/metrics.js';
import { Pipeline } from './pipeline/pipeline.js';
import { SqliteJobQueue } from './queue/sqlite-job-queue.js';
import { DataDisk } from './storage/data-disk.js';
import { FsBlobStore } from './storage/fs-blob-store.js';
import { openSqliteDatabase, type SqliteDatabase } from './storage/sqlite-database.js';
import type { MetadataStore } from './storage/metadata-store.js';
import { SqliteMetadataStore } from './storage/sqlite-metadata-store.js';

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:3030. */
  url: string;
  config: ServerConfig;
  app: FastifyInstance;
  store: MetadataStore;
  engines: Engines;
  pipeline: Pipeline;
  /** Creates an API key for `userId` and returns it (shown once). */
  createApiKey(userId: string): Promise<string>;
  /** Revokes a key by id; every API process sharing this Redis (or this one alone) refuses it at once. */
  revokeApiKey(id: string): Promise<boolean>;
  /** Graceful: stop accepting, finish in-flight requests and jobs within the bound, close the stores. */
  close(): Promise<void>;
}

/** The embedded stores of a data dir: SQLite metadata, queue and locks in one file, blobs as files. */
export interface EmbeddedStores {
  db: SqliteDatabase;
  store: SqliteMetadataStore;
  queue: SqliteJobQueue;
  lock: SqliteClusterLock;
  blobs: FsBlobStore;
}

export function openEmbeddedStores(dataDir: string): EmbeddedStores {
  const db = openSqliteDatabase({ path: join(dataDir, 'face-encode.db') });
  return {
    db,
    store: new SqliteMetadataStore({ db }),
    queue: new SqliteJobQueue({ db }),
    lock: new SqliteClusterLock({ db }),
    blobs: new FsBlobStore({ dir: join(dataDir, 'blobs') }),
  };
}

export interface StartOptions {
  /** A logger; a JSON pino logger on stdout at config.logLevel when omitted. */
  logger?: Logger;
  /** The clock, for tests. Default Date.now. */
  now?: () => number;
}

/** Opens the engines the config names (embedded by default), starts the encoder workers and listens. */
export async function startServer(
  partial: Partial<ServerConfig> = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  const config = resolveConfig(partial);
  const logger = options.logger ?? pino({ level: config.logLevel });
  const engines = await openEngines(config);
  if (config.migrate) {
    await engines.migrate().catch(async (error: unknown) => {
      await engines.close();
      throw error;
    });
  }
  const { store, queue, blobs, events, lock } = engines;
  const metrics = createMetrics(queue);
  const pipeline = new Pipeline({
    config,
    store,
    blobs,
    queue,
    events,
    lock,
    logger,
    metrics: metrics.pipeline,
    now: options.now,
  });
  const disk =
    engines.localDirs.length > 0
      ? new DataDisk({
          dirs: engines.localDirs,
          minFreeBytes: config.minFreeDiskMb * 2 ** 20,
          reserveBytes: config.diskReserveMb * 2 ** 20,
        })
      : null;
  let app: FastifyInstance | undefined;
  try {
    await disk?.ensureReserve();
    app = await buildApp(config, {
      store,
      blobs,
      queue,
      events,
      pipeline,
      metrics,
      logger,
      rateLimitRedis: engines.rateLimitRedis,
      keyRevocations: engines.keyRevocations,
      disk,
      now: options.now,
      collections: engines.collections,
    });
    await pipeline.start();
    const address = await app.listen({ host: config.host, port: config.port });
    const url = address.replace('[::1]', '127.0.0.1');
    logger.info(
      { url, auth: config.auth, workers: config.workers, dataDir: config.dataDir, engines: engines.kinds },
      'listening',
    );
    let closing: Promise<void> | undefined;
    const started = app;
    return {
      url,
      config,
      app: started,
      store,
      engines,
      pipeline,
      createApiKey: async (userId) => (await createApiKey(store, userId)).key,
      revokeApiKey: (id) => revokeApiKey(store, engines.keyRevocations, id),
      close: () =>
        (closing ??= (async () => {
          const bound = new Promise<void>((r) => setTimeout(r, config.shutdownTimeoutMs).unref());
          await Promise.race([started.close(), bound]);
          await pipeline.stop(config.shutdownTimeoutMs);
          await engines.close();
        })()),
    };
  } catch (error) {
    await app?.close();
    await pipeline.stop(0);
    await engines.close();
    throw error;
  }
}
