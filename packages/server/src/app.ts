import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { KeyRevocations } from './auth/key-revocations.js';
import { createAuthenticator } from './auth/authenticate.js';
import type { ServerConfig } from './config.js';
import { createHttpApp } from './http/create-http-app.js';
import { createMetrics, type AppMetrics } from './http/metrics.js';
import { loadOpenApiDocument } from './http/openapi-document.js';
import { createServiceHandlers } from './http/service-handlers.js';
import { UploadTokens } from './http/upload-token.js';
import type { ImageEvents } from './pipeline/image-events.js';
import type { Pipeline } from './pipeline/pipeline.js';
import type { JobQueue } from './queue/job-queue.js';
import type { BlobStore } from './storage/blob-store.js';
import type { DataDisk } from './storage/data-disk.js';
import type { MetadataStore } from './storage/metadata-store.js';
import type { CollectionStore } from './storage/collection-store.js';
import type { KeyStore } from './storage/key-store.js';
import type { CollectionEvents } from './collections/collection-events.js';
import { CollectionIndex } from './collections/collection-index.js';
import { KeyWrap, parseMasterKey } from './collections/template-crypto.js';
import type { CollectionDeps } from './http/routes/collections.js';

export interface AppDeps {
  store: MetadataStore;
  blobs: BlobStore;
  queue: JobQueue;
  events: ImageEvents;
  pipeline: Pipeline;
  /** Metrics shared with the pipeline; created when omitted. */
  metrics?: AppMetrics;
  /** A pino logger; a JSON logger at config.logLevel when omitted. */
  logger?: Logger;
  /** The clock. Default Date.now. */
  now?: () => number;
  /** The local disk under the data; null (the default) when none is local. */
  disk?: DataDisk | null;
  /** A Redis client for rate-limit counters shared by every API process; null counts in this process. */
  rateLimitRedis?: Redis | null;
  /** Revocations that drop cached api keys (every API process's, with Redis); none: the cache TTL bounds a revoke. */
  keyRevocations?: KeyRevocations;
  /** Collections: their store, the key store and change notices across API processes. */
  collections: { store: CollectionStore; keys: KeyStore; events: CollectionEvents };
}

/** The collection engine of one app: without a master key, collections answer 503. */
export function collectionDeps(config: ServerConfig, parts: AppDeps['collections']): CollectionDeps {
  const keyWrap = config.masterKey
    ? new KeyWrap({
        masterKey: parseMasterKey(config.masterKey),
        previousMasterKeys: config.previousMasterKeys.map(parseMasterKey),
      })
    : null;
  const index = keyWrap ? new CollectionIndex({ ...parts, keyWrap }) : null;
  return { ...parts, keyWrap, index };
}

/** Builds the session server's HTTP app: every operation of the OpenAPI document. Never listens. */
export async function buildApp(config: ServerConfig, deps: AppDeps): Promise<FastifyInstance> {
  if (config.auth === 'none') {
    throw new Error('Auth `none` serves only the stateless encoder: run face-encode-server encoder.');
  }
  const metrics = deps.metrics ?? createMetrics(deps.queue);
  const document = loadOpenApiDocument();
  return createHttpApp(config, {
    logger: deps.logger,
    metrics,
    authenticate: await createAuthenticator(config, {
      store: deps.store,
      revocations: deps.keyRevocations,
      now: deps.now,
    }),
    rateLimitRedis: deps.rateLimitRedis ?? null,
    document,
    handlers: createServiceHandlers({
      config,
      store: deps.store,
      blobs: deps.blobs,
      queue: deps.queue,
      events: deps.events,
      pipeline: deps.pipeline,
      metrics,
      document,
      uploadTokens: new UploadTokens(config.uploadSecret),
      disk: deps.disk ?? null,
      now: deps.now ?? Date.now,
      collections: collectionDeps(config, deps.collections),
    }),
  });
}
