import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { EncodeResult, ModelInfo } from '../encoder/encoder.js';
import { EncoderError } from '../encoder/encoder-error.js';
import type { JobQueue, LeasedJob } from '../queue/job-queue.js';
import { backoffDelay } from '../queue/retry-backoff.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { ImageRecord } from '../storage/records.js';
import type { ImageEvents } from './image-events.js';

export interface JobMetrics {
  jobsProcessed: { inc(labels: { outcome: string }): void };
  jobsFailed: { inc(labels: { code: string }): void };
  encodeDuration: { observe(value: number): void };
}

export interface JobRunnerOptions {
  config: Pick<ServerConfig, 'leaseMs' | 'maxFaces' | 'keepImages'>;
  store: MetadataStore;
  blobs: BlobStore;
  queue: JobQueue;
  events: ImageEvents;
  logger: Logger;
  /** Encodes one image (a worker thread does the work). */
  encode: (bytes: Uint8Array) => Promise<EncodeResult>;
  /** The model `encode` runs; stored with each image's encodings. */
  model: () => ModelInfo;
  /** Jobs handled at once; match the encoder threads. */
  concurrency: number;
  /** Called after a job finished the last image of a session. */
  onSessionCompleted?: (sessionId: string, userId: string) => Promise<void>;
  metrics?: JobMetrics;
  /** How often idle loops look for due jobs (retries, other processes' uploads), in ms. Default 500. */
  idlePollMs?: number;
  /** Retry delays. Default base 1000 ms, max 60 000 ms. */
  backoff?: { baseMs: number; maxMs: number };
  now?: () => number;
}

/**
 * Leases encode jobs and turns them into results: heartbeats keep a long job's lease, failures retry
 * with backoff and jitter, and exhausted jobs are dead-lettered so no session waits forever.
 */
export class JobRunner {
  readonly #o: JobRunnerOptions;
  readonly #workerId = `worker-${randomUUID().slice(0, 8)}`;
  #running = false;
  #loops: Promise<void>[] = [];
  /** Wakes each idle loop; a loop's entry goes when it wakes, by notify() or by its idle poll. */
  readonly #idle = new Set<() => void>();
  /** Jobs being processed, so a shutdown that runs out of time can hand them back. */
  readonly #active = new Set<LeasedJob>();

  constructor(options: JobRunnerOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (let i = 0; i < this.#o.concurrency; i++) this.#loops.push(this.#loop());
  }

  /** Wakes idle loops now (a new job was enqueued in this process). */
  notify(): void {
    for (const wake of [...this.#idle]) wake();
  }

  /**
   * Stops leasing and waits for in-flight jobs, at most `timeoutMs`; jobs still running then are
   * handed back to the queue, so another worker takes them at once instead of after the lease.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.#running = false;
    this.notify();
    const finished = await Promise.race([
      Promise.all(this.#loops).then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), timeoutMs).unref()),
    ]);
    if (finished) return;
    await Promise.all(
      [...this.#active].map((job) =>
        this.#o.queue.release(job).catch((error: unknown) => {
          this.#o.logger.warn({ err: error, jobId: job.id }, 'handing a job back failed');
        }),
      ),
    );
  }

  async #loop(): Promise<void> {
    const now = this.#o.now ?? Date.now;
    while (this.#running) {
      let job: LeasedJob | null = null;
      try {
        job = await this.#o.queue.lease(this.#workerId, this.#o.config.leaseMs);
      } catch (error) {
        this.#o.logger.error({ err: error }, 'leasing a job failed');
      }
      if (!job) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.#idle.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, this.#o.idlePollMs ?? 500);
          this.#idle.add(wake);
        });
        continue;
      }
      const leased = job;
      this.#active.add(leased);
      await this.#process(leased, now).catch((error) => {
        this.#o.logger.error({ err: error, jobId: leased.id }, 'job handling failed');
      });
      this.#active.delete(leased);
    }
  }

  async #process(job: LeasedJob, now: () => number): Promise<void> {
    const { store, queue, blobs, logger, config } = this.#o;
    const log = logger.child({ jobId: job.id, imageId: job.imageId, attempt: job.attempt });
    const image = await store.getImageForJob(job.imageId);
    if (!image || image.status === 'done' || image.status === 'failed') {
      // Deleted meanwhile, or already written by an earlier delivery.
      await queue.complete(job);
      return;
    }
    if (job.attempt > job.maxAttempts) {
      await this.#deadLetter(job, image, 'The job was interrupted too many times.', log);
      return;
    }
    // Heartbeats keep the lease while a long decode runs, so it is never taken for a stall.
    const heartbeat = setInterval(
      () => {
        void queue.heartbeat(job, config.leaseMs).catch(() => {});
      },
      Math.max(50, Math.floor(config.leaseMs / 3)),
    );
    try {
      const bytes = image.blobKey ? await blobs.get(image.blobKey) : null;
      if (!bytes) throw new EncoderError('encoding_failed', 'The image data is missing.');
      // The blob may have been replaced since it was checked (a direct upload's object store is
      // writable from outside): encode only the bytes the API checked.
      if (image.blobSha256 && createHash('sha256').update(bytes).digest('hex') !== image.blobSha256) {
        throw new EncoderError('digest_mismatch', 'The stored image changed after it was checked.');
      }
      await store.markImageProcessing(image.id);
      const started = performance.now();
      const result = await this.#o.encode(bytes);
      this.#o.metrics?.encodeDuration.observe((performance.now() - started) / 1000);
      if (result.faces.length > config.maxFaces) {
        throw new EncoderError(
          'too_many_faces',
          `Found ${result.faces.length} faces. Limit is ${config.maxFaces} faces per image.`,
        );
      }
      const written = await store.finishImage({
        imageId: image.id,
        attemptKey: `${image.id}:${job.attempt}`,
        now: now(),
        outcome: {
          status: 'done',
          width: result.width,
          height: result.height,
          faces: result.faces,
          model: this.#o.model(),
        },
      });
      await queue.complete(job);
      await this.#afterFinish(image.id, image.blobKey, image.userId, written);
      this.#o.metrics?.jobsProcessed.inc({ outcome: 'done' });
      log.info({ faces: result.faces.length }, 'image encoded');
    } catch (error) {
      const coded = error instanceof EncoderError ? error : null;
      const permanent =
        coded?.code === 'invalid_image' ||
        coded?.code === 'too_many_faces' ||
        coded?.code === 'digest_mismatch';
      // Bytes that are not the checked ones go even when images are kept.
      if (coded?.code === 'digest_mismatch' && image.blobKey) await blobs.delete(image.blobKey);
      const reason = (error as Error).message;
      if (permanent) {
        const written = await store.finishImage({
          imageId: image.id,
          attemptKey: `${image.id}:${job.attempt}`,
          now: now(),
          outcome: { status: 'failed', error: { code: coded.code, message: reason } },
        });
        await queue.complete(job);
        await this.#afterFinish(image.id, image.blobKey, image.userId, written);
        this.#o.metrics?.jobsFailed.inc({ code: coded.code });
        log.info({ code: coded.code }, 'image failed');
      } else if (job.attempt < job.maxAttempts) {
        const delay = backoffDelay(job.attempt, this.#o.backoff);
        await queue.fail(job, reason, now() + delay);
        log.warn({ reason, retryInMs: delay }, 'encode failed; will retry');
      } else {
        await this.#deadLetter(job, image, reason, log);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  async #deadLetter(job: LeasedJob, image: ImageRecord, reason: string, log: Logger): Promise<void> {
    await this.#o.queue.fail(job, reason, null);
    const written = await this.#o.store.finishImage({
      imageId: image.id,
      attemptKey: `${image.id}:${job.attempt}`,
      now: (this.#o.now ?? Date.now)(),
      outcome: { status: 'failed', error: { code: 'encoding_failed', message: reason } },
    });
    await this.#afterFinish(image.id, image.blobKey, image.userId, written);
    this.#o.metrics?.jobsFailed.inc({ code: 'encoding_failed' });
    log.error({ reason }, 'encode failed for good; dead-lettered');
  }

  async #afterFinish(
    imageId: string,
    blobKey: string | null,
    userId: string,
    written: Awaited<ReturnType<MetadataStore['finishImage']>>,
  ): Promise<void> {
    // Privacy by default: the raw image goes as soon as it is encoded.
    if (blobKey && !this.#o.config.keepImages) {
      await this.#o.blobs.delete(blobKey);
      await this.#o.store.clearImageBlob(imageId);
    }
    this.#o.events.emitFinished(imageId);
    if (written.written && written.sessionCompleted) {
      await this.#o.onSessionCompleted?.(written.sessionId, userId).catch((error) => {
        this.#o.logger.error({ err: error, sessionId: written.sessionId }, 'session completion hook failed');
      });
    }
  }
}
