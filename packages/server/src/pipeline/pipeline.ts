import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { runCleanup } from '../cleanup/run-cleanup.js';
import type { ServerConfig } from '../config.js';
import type { EncodeResult, ModelInfo } from '../encoder/encoder.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import type { ImageEvents } from './image-events.js';
import { JobRunner, type JobMetrics } from './job-runner.js';
import { buildSummary } from './session-summary.js';
import { faceApiModelInfo } from '../encoder/faceapi-encoder.js';
import { RemoteEncoder } from '../encoder/remote-encoder.js';
import { WorkerPool } from './worker-pool.js';

export type PipelineMetrics = JobMetrics;

export interface PipelineOptions {
  config: ServerConfig;
  store: MetadataStore;
  blobs: BlobStore;
  queue: JobQueue;
  events: ImageEvents;
  logger: Logger;
  metrics?: PipelineMetrics;
  now?: () => number;
}

/**
 * Everything after an upload: the encoder threads, the job loop that feeds them, the cleanup timer
 * and the webhook dispatcher. `workers: 0` runs none of the encoding (an API-only process).
 */
export class Pipeline {
  readonly #o: PipelineOptions;
  readonly #pool: WorkerPool | null;
  /** The `remote` engine: I/O only, so it runs on the main thread instead of in worker threads. */
  readonly #remote: RemoteEncoder | null;
  readonly #runner: JobRunner | null;
  readonly #webhooks: WebhookDispatcher;
  #cleanupTimer: NodeJS.Timeout | null = null;
  #ready = false;

  constructor(options: PipelineOptions) {
    this.#o = options;
    const { config } = options;
    this.#remote =
      config.encoder === 'remote'
        ? new RemoteEncoder({
            url: config.remoteEncoderUrl ?? '',
            token: config.remoteEncoderToken,
            timeoutMs: config.jobTimeoutMs,
          })
        : null;
    this.#pool =
      config.workers > 0 && !this.#remote
        ? new WorkerPool({
            size: config.workers,
            jobTimeoutMs: config.jobTimeoutMs,
            encoder: { maxPixels: config.maxPixels, detector: config.detector },
          })
        : null;
    const encode = this.#remote
      ? (bytes: Uint8Array) => (this.#remote as RemoteEncoder).encode(bytes)
      : (bytes: Uint8Array) => (this.#pool as WorkerPool).encode(bytes);
    this.#runner =
      config.workers > 0
        ? new JobRunner({
            config,
            store: options.store,
            blobs: options.blobs,
            queue: options.queue,
            events: options.events,
            logger: options.logger,
            metrics: options.metrics,
            concurrency: config.workers,
            encode,
            onSessionCompleted: (sessionId, userId) => this.#onSessionCompleted(sessionId, userId),
            now: options.now,
          })
        : null;
    this.#webhooks = new WebhookDispatcher({
      store: options.store,
      logger: options.logger,
      allowPrivate: config.webhookAllowPrivate,
      maxAttempts: config.webhookMaxAttempts,
      secretFor: (sessionId) => options.store.getWebhookSecret(sessionId),
      now: options.now,
    });
  }

  async start(): Promise<void> {
    if (this.#pool) await this.#pool.start();
    this.#runner?.start();
    this.#ready = true;
    this.#webhooks.start();
    if (this.#o.config.cleanupIntervalMs > 0) {
      this.#cleanupTimer = setInterval(
        () => void this.cleanup().catch(() => {}),
        this.#o.config.cleanupIntervalMs,
      );
      this.#cleanupTimer.unref();
    }
  }

  /** Models are loaded (always true for an API-only process, which encodes nothing). */
  get ready(): boolean {
    return this.#ready;
  }

  get model(): ModelInfo {
    // An API-only process (workers: 0) reports the model its workers elsewhere run.
    return this.#remote?.model ?? this.#pool?.model ?? faceApiModelInfo(this.#o.config.detector);
  }

  /** Wakes the job loop: an image was just enqueued in this process. */
  notify(): void {
    this.#runner?.notify();
  }

  /** Encodes one image now on a worker thread (POST /v1/selfie). */
  encodeNow(bytes: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<EncodeResult> {
    if (this.#remote) return this.#remote.encode(bytes);
    if (!this.#pool) return Promise.reject(new Error('This process runs no encoder workers.'));
    return this.#pool.encode(bytes, opts);
  }

  cleanup() {
    const { store, blobs, queue, logger } = this.#o;
    return runCleanup({ store, blobs, queue, logger, now: (this.#o.now ?? Date.now)() });
  }

  /** Delivers due webhooks once (tests and the cleanup command use it). */
  deliverWebhooks(): Promise<void> {
    return this.#webhooks.runOnce();
  }

  async #onSessionCompleted(sessionId: string, userId: string): Promise<void> {
    const { store, config } = this.#o;
    const session = await store.getSession(userId, sessionId);
    if (!session?.callbackUrl) return;
    const images = await store.listImages(userId, sessionId);
    const now = (this.#o.now ?? Date.now)();
    const eventId = randomUUID();
    const payload = JSON.stringify({
      id: eventId,
      type: 'session.completed',
      created_at: new Date(now).toISOString(),
      data: {
        session_id: session.id,
        status: 'completed',
        vendor_data: session.vendorData,
        image_count: session.imageCount,
        summary: buildSummary(images, { threshold: config.threshold, model: this.model }),
      },
    });
    await store.createWebhook({
      eventId,
      sessionId,
      url: session.callbackUrl,
      payload,
      status: 'pending',
      nextAttemptAt: now,
    });
    void this.#webhooks.runOnce();
  }

  async stop(timeoutMs: number): Promise<void> {
    if (this.#cleanupTimer) clearInterval(this.#cleanupTimer);
    await this.#runner?.stop(timeoutMs);
    await this.#webhooks.stop();
    await this.#pool?.close();
  }
}
