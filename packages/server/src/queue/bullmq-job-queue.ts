import { randomUUID } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { JobQueue, LeasedJob, NewJob, QueueDepth } from './job-queue.js';

export interface BullmqJobQueueOptions {
  /** Redis connection (ioredis options or URL parts); BullMQ opens its own connections from it. */
  connection: ConnectionOptions;
  /** Key prefix of every BullMQ key, so deployments and tests can share one Redis. Default `face-encode`. */
  prefix?: string;
  /** Queue name. Default `encode`. */
  queueName?: string;
  /** How often a stalled (lock-expired) job is looked for and put back, in ms. Default 5000. */
  stalledIntervalMs?: number;
  /** Longest an idle lease() blocks on Redis for a new job, in seconds. Default 1. */
  drainDelaySeconds?: number;
  /** Dead-lettered jobs kept (BullMQ's failed set), at most. Default 10 000. */
  keepDead?: number;
}

/** What a job carries; only ids, never image bytes or encodings. */
interface JobData {
  imageId: string;
  sessionId: string;
  userId: string;
  maxAttempts: number;
  createdAt: number;
  /** Leases handed back undone (shutdown), which do not count as attempts. */
  released?: number;
}

/** BullMQ's highest priority number (its lowest priority). */
const MAX_PRIORITY = 2 ** 21 - 1;

/**
 * The oldest `timestamp` among the jobs in the wait list and the prioritized set, in one round trip.
 * KEYS: wait, prioritized; ARGV: the job key prefix (`<prefix>:<queue>:`).
 */
const OLDEST_WAITING = `
local oldest = false
local function see(id)
  local ts = tonumber(redis.call('HGET', ARGV[1] .. id, 'timestamp'))
  if ts and (not oldest or ts < oldest) then oldest = ts end
end
for _, id in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do see(id) end
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do see(id) end
return oldest and tostring(oldest) or false
`;

/**
 * The job queue on BullMQ (Redis). Workers fetch jobs manually (BullMQ's "manually processing
 * jobs" pattern), so BullMQ's lock is the visibility timeout and the runner keeps its own retry
 * and dead-letter policy: a retry is `moveToDelayed`, a dead letter `moveToFailed` (the failed set
 * is the DLQ). A stalled job (its worker died) is put back by BullMQ's stalled checker, which runs
 * every `stalledIntervalMs`, so redelivery takes up to about two intervals after the lock expires.
 * The job id is the image id, so publishing an outbox entry twice adds one job.
 *
 * Fair between users: each job's BullMQ priority is its place in its own user's line (a Redis hash
 * counts each user's unfinished jobs), so users take turns, and one user's burst of 40 delays
 * another user's single job by about one job instead of forty.
 */
export class BullmqJobQueue implements JobQueue {
  readonly #queue: Queue<JobData>;
  readonly #worker: Worker<JobData>;
  /** Live leases of this process: BullMQ's lock calls need the Job object. */
  readonly #leases = new Map<string, Job<JobData>>();
  #stalledCheck: Promise<void> | null = null;
  /** `<prefix>:<queue>:`, BullMQ's key prefix of this queue. */
  readonly #keys: string;
  /** Our own connection, for the per-user line counts and the oldest-waiting scan. */
  readonly #redis: Redis;

  constructor(options: BullmqJobQueueOptions) {
    const name = options.queueName ?? 'encode';
    const prefix = options.prefix ?? 'face-encode';
    this.#keys = `${prefix}:${name}:`;
    this.#redis =
      options.connection instanceof Redis
        ? options.connection.duplicate()
        : new Redis(options.connection as RedisOptions);
    this.#redis.on('error', () => {});
    this.#queue = new Queue<JobData>(name, {
      connection: options.connection,
      prefix,
      defaultJobOptions: {
        attempts: 1,
        removeOnComplete: true,
        removeOnFail: { count: options.keepDead ?? 10_000 },
      },
    });
    this.#worker = new Worker<JobData>(name, null, {
      connection: options.connection,
      prefix,
      autorun: false,
      // The runner decides when attempts are used up (attempt > maxAttempts), so BullMQ never
      // fails a job for stalling too often.
      maxStalledCount: 1_000_000,
      stalledInterval: options.stalledIntervalMs ?? 5000,
      drainDelay: options.drainDelaySeconds ?? 1,
      skipLockRenewal: true,
    });
    // Errors surface on calls; an unhandled 'error' event would crash the process.
    this.#queue.on('error', () => {});
    this.#worker.on('error', () => {});
  }

  async enqueue(job: NewJob): Promise<void> {
    // A job published twice keeps its place (and is counted once).
    if (await this.#queue.getJob(job.imageId)) return;
    const place = await this.#line(job.userId, 1);
    await this.#queue.add(
      'encode',
      { ...job },
      { jobId: job.imageId, timestamp: job.createdAt, priority: Math.min(Math.max(place, 1), MAX_PRIORITY) },
    );
  }

  /** Moves `userId`'s count of unfinished jobs by `by` and returns it. */
  async #line(userId: string, by: number): Promise<number> {
    const client = this.#redis;
    const key = `${this.#keys}fair-lines`;
    const count = await client.hincrby(key, userId, by);
    if (count <= 0) await client.hdel(key, userId);
    return count;
  }

  /** A job left the queue for good (done, dead-lettered or removed): its user's line is one shorter. */
  async #leftQueue(job: Job<JobData>): Promise<void> {
    if (job.data.userId !== undefined) await this.#line(job.data.userId, -1).catch(() => 0);
  }

  async lease(workerId: string, leaseMs: number): Promise<LeasedJob | null> {
    this.#stalledCheck ??= this.#worker.startStalledCheckTimer();
    const token = `${workerId}:${randomUUID()}`;
    const job = (await this.#worker.getNextJob(token, { block: true })) as Job<JobData> | undefined;
    if (!job?.id) return null;
    // BullMQ locks for the worker's lockDuration; set the caller's visibility timeout instead.
    await job.extendLock(token, leaseMs);
    this.#leases.set(token, job);
    return {
      id: job.id,
      imageId: job.data.imageId,
      sessionId: job.data.sessionId,
      attempt: job.attemptsStarted - (job.data.released ?? 0),
      maxAttempts: job.data.maxAttempts,
      leaseToken: token,
    };
  }

  async heartbeat(job: LeasedJob, leaseMs: number): Promise<boolean> {
    const leased = this.#leases.get(job.leaseToken);
    if (!leased) return false;
    const extended = await leased.extendLock(job.leaseToken, leaseMs).catch(() => 0);
    return extended > 0;
  }

  async complete(job: LeasedJob): Promise<void> {
    const leased = this.#take(job);
    if (!leased) return;
    // A stale lease (the job went to another worker) is refused by BullMQ; nothing to do then.
    const done = await leased.moveToCompleted(null, job.leaseToken, false).then(
      () => true,
      () => false,
    );
    if (done) await this.#leftQueue(leased);
  }

  async fail(job: LeasedJob, reason: string, retryAt: number | null): Promise<'retry' | 'dead'> {
    const leased = this.#take(job);
    if (!leased) return 'retry';
    try {
      if (retryAt !== null && job.attempt < job.maxAttempts) {
        await leased.moveToDelayed(Math.max(retryAt, Date.now()), job.leaseToken);
        return 'retry';
      }
      await leased.moveToFailed(new Error(reason), job.leaseToken, false);
      await this.#leftQueue(leased);
      return 'dead';
    } catch {
      // The lock was lost: the job belongs to another worker now.
      return 'retry';
    }
  }

  async release(job: LeasedJob): Promise<void> {
    const leased = this.#take(job);
    if (!leased) return;
    try {
      await leased.updateData({ ...leased.data, released: (leased.data.released ?? 0) + 1 });
      await leased.moveToWait(job.leaseToken);
    } catch {
      // Lost the lock meanwhile: the stalled checker or another worker has it.
    }
  }

  /**
   * BullMQ cannot remove a job while a worker holds its lock; such a job stays with its worker,
   * which finds its image gone and completes it without writing anything.
   */
  async removeForImages(imageIds: string[]): Promise<void> {
    await Promise.all(
      imageIds.map(async (id) => {
        const job = await this.#queue.getJob(id);
        if (!job) return;
        // A dead job has left its user's line already.
        const counted = !(await job.isFailed());
        const removed = await this.#queue.remove(id).catch(() => 0);
        if (removed && counted) await this.#leftQueue(job);
      }),
    );
  }

  async depth(): Promise<QueueDepth> {
    const counts = await this.#queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'failed');
    const oldest = (await this.#redis.eval(
      OLDEST_WAITING,
      2,
      `${this.#keys}wait`,
      `${this.#keys}prioritized`,
      this.#keys,
    )) as string | null;
    return {
      waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      dead: counts.failed ?? 0,
      oldestWaitingAt: oldest === null ? null : Number(oldest),
    };
  }

  async ping(): Promise<void> {
    // A round trip through BullMQ's own connection.
    await this.#queue.getJobCounts('waiting');
  }

  #take(job: LeasedJob): Job<JobData> | undefined {
    const leased = this.#leases.get(job.leaseToken);
    this.#leases.delete(job.leaseToken);
    return leased;
  }

  async close(): Promise<void> {
    await this.#worker.close();
    await this.#queue.close();
    await this.#stalledCheck?.catch(() => {});
    this.#redis.disconnect();
  }
}
