export { buildApp, type AppDeps } from './app.js';
export { DEFAULT_CONFIG, resolveConfig, type ServerConfig, type AuthMode } from './config.js';
export { startServer, openEmbeddedStores, type RunningServer, type StartOptions } from './server.js';
export { buildEncoderApp, type EncoderAppDeps } from './encoder-app.js';
export { startEncoderServer, ENCODER_DEFAULTS, type RunningEncoder } from './encoder-server.js';
export { ERROR_CATALOG, ApiError, type ErrorCode } from './errors/error-catalog.js';
// Receivers verify with `verifyWebhook` from `@face-encode/sdk`; the server only signs.
export { generateWebhookSecret, signWebhookPayload, webhookHeaders } from './webhooks/webhook-signature.js';
export type { Encoder, EncodeResult, ModelInfo } from './encoder/encoder.js';
export type { MetadataStore } from './storage/metadata-store.js';
export type { BlobStore } from './storage/blob-store.js';
export type { JobQueue } from './queue/job-queue.js';
export type { ClusterLock } from './coordination/cluster-lock.js';
export type { ImageEvents } from './pipeline/image-events.js';
// Engines and adapters, for embedding the server or composing a deployment by hand.
export { openEngines, EngineConfigError, type Engines } from './engines.js';
export { SqliteMetadataStore } from './storage/sqlite-metadata-store.js';
export { PostgresMetadataStore } from './storage/postgres-metadata-store.js';
export { migratePostgres } from './storage/postgres-migrations.js';
export { SqliteJobQueue } from './queue/sqlite-job-queue.js';
export { BullmqJobQueue, type BullmqJobQueueOptions } from './queue/bullmq-job-queue.js';
export { FsBlobStore } from './storage/fs-blob-store.js';
export { S3BlobStore, type S3BlobStoreOptions } from './storage/s3-blob-store.js';
export { parseBlobUrl } from './storage/blob-url.js';
