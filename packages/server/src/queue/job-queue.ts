/**
 * Encode jobs. The metadata store records each job in its outbox in the image's transaction; the
 * outbox relay publishes it here with `enqueue`, and the queue leases it to workers. The queue
 * knows nothing of the store's tables and the store nothing of the queue's. Adapters:
 * `sqlite-job-queue.ts` (embedded default) and `bullmq-job-queue.ts` (Redis). All adapters pass
 * `test/queue/job-queue.conformance.ts`.
 */
export interface JobQueue {
  /**
   * Adds the encode job of an image. Idempotent by imageId while the job exists: publishing the
   * same outbox entry twice (a relay retry, two relays racing) yields one job.
   */
  enqueue(job: NewJob): Promise<void>;
  /**
   * Leases the next due job for `leaseMs` (visibility timeout) and counts the attempt. A job whose
   * lease expired (its worker crashed) is due again.
   */
  lease(workerId: string, leaseMs: number): Promise<LeasedJob | null>;
  /** Extends a live lease; false when the lease was lost (expired and taken by another worker). */
  heartbeat(job: LeasedJob, leaseMs: number): Promise<boolean>;
  /** Removes a finished job. */
  complete(job: LeasedJob): Promise<void>;
  /**
   * Records a failed attempt: with `retryAt` the job is due again then; without it (or when the
   * attempts are used up) it is dead-lettered. Returns which.
   */
  fail(job: LeasedJob, reason: string, retryAt: number | null): Promise<'retry' | 'dead'>;
  /** Hands a leased job back undone (a worker shutting down): due again now, the attempt not counted as failed. */
  release(job: LeasedJob): Promise<void>;
  /** Removes every job of these images (session deletion and cleanup). */
  removeForImages(imageIds: string[]): Promise<void>;
  depth(): Promise<QueueDepth>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface NewJob {
  imageId: string;
  sessionId: string;
  userId: string;
  maxAttempts: number;
  /** When the job was recorded (epoch ms); orders the queue and dates the oldest waiting job. */
  createdAt: number;
}

export interface LeasedJob {
  id: string;
  imageId: string;
  sessionId: string;
  /** 1 on the first delivery. */
  attempt: number;
  maxAttempts: number;
  /** Identifies this lease; heartbeat/complete/fail with a stale token do nothing. */
  leaseToken: string;
}

export interface QueueDepth {
  waiting: number;
  active: number;
  dead: number;
  /** createdAt of the oldest waiting job (epoch ms), or null when none waits: the autoscaling signal. */
  oldestWaitingAt: number | null;
}
