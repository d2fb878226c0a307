import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { runCleanup } from '../cleanup/run-cleanup.js';
import type { ServerConfig } from '../config.js';
import type { ClusterLock } from '../coordination/cluster-lock.js';
import type { EncodeResult, ModelInfo } from '../encoder/encoder.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { MetadataStore, OutboxEntry } from '../storage/metadata-store.js';
import { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import type { ImageEvents } from './image-events.js';
import { JobRunner, type JobMetrics } from './job-runner.js';
import { OutboxRelay } from './outbox-relay.js';
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
  /** Keeps the cluster's singleton duties (cleanup, outbox sweep) to one process at a time. */
  lock: ClusterLock;
  logger: Logger;
  metrics?: PipelineMetrics;
  now?: () => number;
}

/**
 * Everything after an upload: the outbox relay that publishes jobs, the encoder threads and the
 * job loop that feeds them, the cleanup timer and the webhook dispatcher. `workers: 0` runs none of
 * the encoding (an API-only process); every process runs the relay, cleanup and webhooks, which
 * claims and cluster locks keep from running twice.
 */
export class Pipeline {
  readonly #o: PipelineOptions;
  readonly #pool: WorkerPool | null;
  /** The `remote` engine: I/O only, so it runs on the main thread instead of in worker threads. */
  readonly #remote: RemoteEncoder | null;
  readonly #runner: JobRunner | null;
  readonly #webhooks: WebhookDispatcher;
  readonly #relay: OutboxRelay;
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
            model: () => this.model,
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
    this.#relay = new OutboxRelay({
      store: options.store,
      queue: options.queue,
      lock: options.lock,
      logger: options.logger,
      now: options.now,
    });
  }

  async start(): Promise<void> {
    // Temp files of writes a crash cut short; one younger than a request may be another process's.
    await this.#o.blobs
      .sweepTemp(this.#o.config.requestTimeoutMs)
      .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'temp file sweep failed'));
    if (this.#pool) await this.#pool.start();
    this.#runner?.start();
    this.#ready = true;
    this.#relay.start();
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

  /** Publishes the job of an upload just recorded, and wakes this process's job loop. */
  async enqueue(job: OutboxEntry): Promise<void> {
    await this.#relay.publish([job]);
    this.#runner?.notify();
  }

  /** Publishes what the outbox holds past its grace period, once (tests and operators). */
  sweepOutbox(): Promise<number> {
    return this.#relay.sweepOnce();
  }

  /** Encodes one image now on a worker thread (POST /v1/selfie). */
  encodeNow(bytes: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<EncodeResult> {
    if (this.#remote) return this.#remote.encode(bytes);
    if (!this.#pool) return Promise.reject(new Error('This process runs no encoder workers.'));
    return this.#pool.encode(bytes, opts);
  }

  /** One cleanup pass, unless another process of the cluster is running one (then null). */
  async cleanup() {
    const { store, blobs, queue, logger, lock } = this.#o;
    const result = await lock.tryWithLock('cleanup', () =>
      runCleanup({ store, blobs, queue, logger, now: (this.#o.now ?? Date.now)() }),
    );
    return result.ran ? result.value : null;
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
        summary: buildSummary(images, { threshold: config.threshold, fallbackModel: this.model }),
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
    await this.#relay.stop();
    await this.#runner?.stop(timeoutMs);
    await this.#webhooks.stop();
    await this.#pool?.close();
  }
}
