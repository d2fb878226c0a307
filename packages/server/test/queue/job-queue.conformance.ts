// The behaviour every JobQueue adapter must have. Jobs arrive the way they do in production: the
// outbox relay publishes them with `enqueue`; the queue never sees the metadata store.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobQueue, LeasedJob, NewJob } from '../../src/queue/job-queue.js';

export interface JobQueueFixture {
  queue: JobQueue;
  cleanup(): Promise<void>;
}

/**
 * Where adapters genuinely differ, each says how. Everything else is asserted alike.
 */
export interface JobQueueTraits {
  /**
   * How long after a lease expires the job can be leased again, in ms. SQLite: at once (a lease
   * is a timestamp). BullMQ: up to about two runs of its stalled-job checker, which is what puts a
   * lock-expired job back.
   */
  redeliveryMs: number;
  /**
   * Whether removeForImages also removes a job a worker holds. BullMQ refuses to remove a locked
   * job; its worker then finds the image gone and completes the job without writing.
   */
  removesLeasedJobs: boolean;
}

export function jobQueueConformance(
  name: string,
  factory: () => Promise<JobQueueFixture>,
  traits: JobQueueTraits = { redeliveryMs: 0, removesLeasedJobs: true },
): void {
  describe(`JobQueue conformance: ${name}`, () => {
    let fixture: JobQueueFixture;
    let queue: JobQueue;
    const sessionId = randomUUID();
    let clock = Date.now() - 60_000;

    beforeEach(async () => {
      fixture = await factory();
      ({ queue } = fixture);
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Publishes a job as the relay does; each is recorded later than the one before. */
    async function enqueue(opts: { maxAttempts?: number; userId?: string } = {}): Promise<NewJob> {
      const job: NewJob = {
        imageId: randomUUID(),
        sessionId,
        userId: opts.userId ?? 'user-a',
        maxAttempts: opts.maxAttempts ?? 3,
        createdAt: (clock += 10),
      };
      await queue.enqueue(job);
      return job;
    }

    async function leaseOrThrow(leaseMs = 60_000, worker = 'worker-1'): Promise<LeasedJob> {
      const job = await queue.lease(worker, leaseMs);
      if (!job) throw new Error('expected a job');
      return job;
    }

    it('is empty at first', async () => {
      expect(await queue.lease('worker-1', 60_000)).toBeNull();
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, dead: 0, oldestWaitingAt: null });
      await expect(queue.ping()).resolves.toBeUndefined();
    });

    it('leases an enqueued job, once, and completes it', async () => {
      const image = { id: (await enqueue()).imageId };
      expect(await queue.depth()).toMatchObject({ waiting: 1, active: 0, dead: 0 });

      const job = await leaseOrThrow();
      expect(job).toMatchObject({ imageId: image.id, sessionId, attempt: 1, maxAttempts: 3 });
      expect(job.leaseToken).toBeTruthy();
      expect(await queue.lease('worker-2', 60_000)).toBeNull();
      expect(await queue.depth()).toMatchObject({ waiting: 0, active: 1, dead: 0 });

      await queue.complete(job);
      expect(await queue.depth()).toMatchObject({ waiting: 0, active: 0, dead: 0 });
      expect(await queue.lease('worker-2', 60_000)).toBeNull();
    });

    it('is idempotent by image id: publishing a job twice queues it once', async () => {
      const job = await enqueue();
      await queue.enqueue(job);
      await queue.enqueue({ ...job });
      expect(await queue.depth()).toMatchObject({ waiting: 1, oldestWaitingAt: job.createdAt });
      expect((await leaseOrThrow()).imageId).toBe(job.imageId);
      expect(await queue.lease('worker-2', 60_000)).toBeNull();
    });

    it('leases jobs in the order they were published, and dates the oldest waiting one', async () => {
      const first = await enqueue();
      const second = await enqueue();
      const third = await enqueue();
      expect((await queue.depth()).oldestWaitingAt).toBe(first.createdAt);
      const order = [];
      for (let i = 0; i < 3; i++) order.push((await leaseOrThrow()).imageId);
      expect(order).toEqual([first.imageId, second.imageId, third.imageId]);
      expect((await queue.depth()).oldestWaitingAt).toBeNull();
    });

    it("serves users in turn: one user's burst of 40 delays another's single job by at most a few", async () => {
      for (let i = 0; i < 40; i++) await enqueue({ userId: 'user-burst' });
      const single = await enqueue({ userId: 'user-single' });
      const order: string[] = [];
      // Two workers, as the server runs them: each leases, and completes before leasing again.
      const held = [await queue.lease('w1', 60_000), await queue.lease('w2', 60_000)];
      for (let job = held.shift(); job; job = held.shift()) {
        order.push(job.imageId);
        await queue.complete(job);
        held.push(await queue.lease('w1', 60_000));
      }
      expect(order).toHaveLength(41);
      expect(order.indexOf(single.imageId)).toBeGreaterThanOrEqual(0);
      expect(order.indexOf(single.imageId)).toBeLessThanOrEqual(3);
    });

    it('hands a released job back at once, without counting the attempt', async () => {
      const image = await enqueue();
      const job = await leaseOrThrow();
      await queue.release(job);
      const again = await leaseOrThrow(60_000, 'worker-2');
      expect(again).toMatchObject({ imageId: image.imageId, attempt: 1 });
      expect(await queue.heartbeat(job, 60_000)).toBe(false);
    });

    it('never hands one job to two of many concurrent workers', async () => {
      const images = [];
      for (let i = 0; i < 5; i++) images.push({ id: (await enqueue()).imageId });
      const leased = await Promise.all(
        Array.from({ length: 10 }, (_, i) => queue.lease(`worker-${i}`, 60_000)),
      );
      const ids = leased.filter((j): j is LeasedJob => j !== null).map((j) => j.imageId);
      expect(ids).toHaveLength(5);
      expect(new Set(ids)).toEqual(new Set(images.map((i) => i.id)));
    });

    it('redelivers a job whose lease expired, and ignores the stale lease', async () => {
      const image = { id: (await enqueue()).imageId };
      const first = await leaseOrThrow(50, 'crashed-worker');
      await sleep(120 + traits.redeliveryMs);
      const second = await leaseOrThrow(60_000, 'worker-2');
      expect(second).toMatchObject({ id: first.id, imageId: image.id, attempt: 2 });
      expect(second.leaseToken).not.toBe(first.leaseToken);

      // The crashed worker wakes up: none of its calls touch the new lease.
      expect(await queue.heartbeat(first, 60_000)).toBe(false);
      await queue.complete(first);
      expect(await queue.fail(first, 'late failure', null)).toBe('retry');
      expect(await queue.depth()).toMatchObject({ waiting: 0, active: 1, dead: 0 });

      expect(await queue.heartbeat(second, 60_000)).toBe(true);
      await queue.complete(second);
      expect(await queue.depth()).toMatchObject({ waiting: 0, active: 0, dead: 0 });
    });

    it('keeps a job leased while its worker heartbeats', async () => {
      await enqueue();
      const job = await leaseOrThrow(50);
      expect(await queue.heartbeat(job, 60_000)).toBe(true);
      await sleep(120 + traits.redeliveryMs);
      expect(await queue.lease('worker-2', 60_000)).toBeNull();
      expect(await queue.depth()).toMatchObject({ waiting: 0, active: 1, dead: 0 });
    });

    it('retries a failed job at retryAt', async () => {
      const image = { id: (await enqueue()).imageId };
      const job = await leaseOrThrow();
      expect(await queue.fail(job, 'encoder busy', Date.now() - 1)).toBe('retry');
      const again = await leaseOrThrow();
      expect(again).toMatchObject({ id: job.id, imageId: image.id, attempt: 2 });

      expect(await queue.fail(again, 'encoder busy', Date.now() + 60_000)).toBe('retry');
      expect(await queue.lease('worker-1', 60_000)).toBeNull();
      expect(await queue.depth()).toMatchObject({ waiting: 1, active: 0, dead: 0 });
    });

    it('dead-letters a job failed without retryAt', async () => {
      await enqueue();
      const job = await leaseOrThrow();
      expect(await queue.fail(job, 'invalid image', null)).toBe('dead');
      expect(await queue.lease('worker-1', 60_000)).toBeNull();
      expect(await queue.depth()).toMatchObject({ waiting: 0, active: 0, dead: 1 });
      // A dead job can no longer be completed or failed through its old lease.
      expect(await queue.heartbeat(job, 60_000)).toBe(false);
    });

    it('dead-letters a job once its attempts are used up', async () => {
      await enqueue({ maxAttempts: 2 });
      const first = await leaseOrThrow();
      expect(await queue.fail(first, 'timeout', Date.now() - 1)).toBe('retry');
      const second = await leaseOrThrow();
      expect(second.attempt).toBe(2);
      expect(await queue.fail(second, 'timeout', Date.now() - 1)).toBe('dead');
      expect(await queue.lease('worker-1', 60_000)).toBeNull();
      expect(await queue.depth()).toMatchObject({ waiting: 0, active: 0, dead: 1 });
    });

    it('removes the jobs of given images', async () => {
      const a = await enqueue();
      const b = await enqueue();
      const c = await enqueue();
      const d = await enqueue();
      const leasedA = await leaseOrThrow();
      expect(leasedA.imageId).toBe(a.imageId);
      const deadB = await queue.lease('worker-1', 60_000);
      expect(deadB?.imageId).toBe(b.imageId);
      if (deadB) await queue.fail(deadB, 'gave up', null);
      await queue.removeForImages([a.imageId, b.imageId, c.imageId, randomUUID()]);
      await queue.removeForImages([]);
      // Waiting and dead jobs go; a leased one goes only where the adapter can remove it.
      expect(await queue.depth()).toMatchObject({
        waiting: 1,
        active: traits.removesLeasedJobs ? 0 : 1,
        dead: 0,
      });
      expect((await leaseOrThrow()).imageId).toBe(d.imageId);
      expect(await queue.heartbeat(leasedA, 60_000)).toBe(!traits.removesLeasedJobs);
    });
  });
}
