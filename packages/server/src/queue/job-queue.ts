/**
 * Encode jobs. Jobs are created by `MetadataStore.addImage` in the same transaction as their image
 * (an outbox); the queue leases them to workers. Adapters: `sqlite-job-queue.ts` (embedded default,
 * the same SQLite file); BullMQ/Redis slots in behind the same interface. All adapters pass
 * `test/queue/job-queue.conformance.ts`.
 */
export interface JobQueue {
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
  /** Removes every job of these images (session deletion and cleanup). */
  removeForImages(imageIds: string[]): Promise<void>;
  depth(): Promise<QueueDepth>;
  ping(): Promise<void>;
  close(): Promise<void>;
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
}
