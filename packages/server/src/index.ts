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
