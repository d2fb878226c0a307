import type { FastifyRequest } from 'fastify';
import type { ServerConfig } from '../../config.js';
import type { CollectionDeps } from './collections.js';
import type { EncodeResult } from '../../encoder/encoder.js';
import type { ImageEvents } from '../../pipeline/image-events.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import type { JobQueue } from '../../queue/job-queue.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { DataDisk } from '../../storage/data-disk.js';
import type { MetadataStore } from '../../storage/metadata-store.js';
import type { AppMetrics } from '../metrics.js';
import type { OpenApiDocument } from '../openapi-document.js';
import type { UploadTokens } from '../upload-token.js';

/** What the route modules need: the stores, the pipeline, the config and the clock. */
export interface HandlerDeps {
  config: ServerConfig;
  store: MetadataStore;
  blobs: BlobStore;
  queue: JobQueue;
  events: ImageEvents;
  pipeline: Pipeline;
  metrics: AppMetrics;
  document: OpenApiDocument;
  /** Signs and checks the file store's direct-upload tokens. */
  uploadTokens: UploadTokens;
  /** The local disk under the data (free-space check, delete reserve); null when all data is remote. */
  disk: DataDisk | null;
  now: () => number;
  collections: CollectionDeps;
}

/** What POST /v1/selfie needs: the session server's pipeline, or the encoder's own worker threads. */
export interface SelfieEncoder {
  encodeNow(bytes: Uint8Array, opts?: { signal?: AbortSignal }): Promise<EncodeResult>;
}

/** A readiness probe: resolves when its part is ready, rejects with why it is not. */
export type ReadinessCheck = () => Promise<void>;

export interface OperationDeps {
  metrics: AppMetrics;
  document: OpenApiDocument;
  /** By name, as `checks` of GET /readyz reports them. */
  readiness: Record<string, ReadinessCheck>;
}

/** The caller, set by the authentication hook before any handler runs. */
export const userOf = (request: FastifyRequest): string =>
  (request as FastifyRequest & { userId: string }).userId;

/** The upload limits of the config, in the units receiveUpload takes. */
export const uploadLimits = (config: ServerConfig) => ({
  maxFileBytes: Math.round(config.maxFileMb * 2 ** 20),
  maxPixels: config.maxPixels,
});
