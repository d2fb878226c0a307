// The behaviour every JobQueue adapter must have. Jobs are created the only way they are in
// production: by `MetadataStore.addImage` (the outbox), so the factory returns both.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobQueue, LeasedJob } from '../../src/queue/job-queue.js';
import type { MetadataStore } from '../../src/storage/metadata-store.js';
import type { ImageRecord, SessionRecord } from '../../src/storage/records.js';

export interface JobQueueFixture {
  store: MetadataStore;
  queue: JobQueue;
  cleanup(): Promise<void>;
}

export function jobQueueConformance(name: string, factory: () => Promise<JobQueueFixture>): void {
  describe(`JobQueue conformance: ${name}`, () => {
    let fixture: JobQueueFixture;
    let store: MetadataStore;
    let queue: JobQueue;
    let session: SessionRecord;

    beforeEach(async () => {
      fixture = await factory();
      ({ store, queue } = fixture);
      session = await store.createSession({
        id: randomUUID(),
        userId: 'user-a',
        ttlSeconds: 3600,
        vendorData: null,
        callbackUrl: null,
        webhookSecret: null,
        now: Date.now(),
      });
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Adds an image (and so its job), due `agoMs` in the past so ordering is explicit. */
    async function enqueue(
      opts: { agoMs?: number; maxAttempts?: number; target?: SessionRecord } = {},
    ): Promise<ImageRecord> {
      const target = opts.target ?? session;
      const id = randomUUID();
      const result = await store.addImage({
        id,
        userId: target.userId,
        sessionId: target.id,
        imageName: null,
        contentType: 'image/jpeg',
        sizeBytes: 10,
        sha256: 'b'.repeat(64),
        blobKey: `images/${target.id}/${id}`,
        maxImages: 5,
        maxAttempts: opts.maxAttempts ?? 3,
        now: Date.now() - (opts.agoMs ?? 1000),
      });
      if (!result.ok) throw new Error(result.reason);
      return result.image;
    }

    async function leaseOrThrow(leaseMs = 60_000, worker = 'worker-1'): Promise<LeasedJob> {
      const job = await queue.lease(worker, leaseMs);
      if (!job) throw new Error('expected a job');
      return job;
    }

    it('is empty at first', async () => {
      expect(await queue.lease('worker-1', 60_000)).toBeNull();
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, dead: 0 });
      await expect(queue.ping()).resolves.toBeUndefined();
    });

    it('leases the job addImage enqueued, once, and completes it', async () => {
      const image = await enqueue();
      expect(await queue.depth()).toEqual({ waiting: 1, active: 0, dead: 0 });

      const job = await leaseOrThrow();
      expect(job).toMatchObject({ imageId: image.id, sessionId: session.id, attempt: 1, maxAttempts: 3 });
      expect(job.leaseToken).toBeTruthy();
      expect(await queue.lease('worker-2', 60_000)).toBeNull();
      expect(await queue.depth()).toEqual({ waiting: 0, active: 1, dead: 0 });

      await queue.complete(job);
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, dead: 0 });
      expect(await queue.lease('worker-2', 60_000)).toBeNull();
    });

    it('leases the oldest due job first', async () => {
      const newest = await enqueue({ agoMs: 1000 });
      const oldest = await enqueue({ agoMs: 3000 });
      const middle = await enqueue({ agoMs: 2000 });
      const order = [];
      for (let i = 0; i < 3; i++) order.push((await leaseOrThrow()).imageId);
      expect(order).toEqual([oldest.id, middle.id, newest.id]);
    });

    it('never hands one job to two of many concurrent workers', async () => {
      const images = [];
      for (let i = 0; i < 5; i++) images.push(await enqueue({ agoMs: 1000 + i }));
      const leased = await Promise.all(
        Array.from({ length: 10 }, (_, i) => queue.lease(`worker-${i}`, 60_000)),
      );
      const ids = leased.filter((j): j is LeasedJob => j !== null).map((j) => j.imageId);
      expect(ids).toHaveLength(5);
      expect(new Set(ids)).toEqual(new Set(images.map((i) => i.id)));
    });

    it('redelivers a job whose lease expired, and ignores the stale lease', async () => {
      const image = await enqueue();
      const first = await leaseOrThrow(50, 'crashed-worker');
      await sleep(120);
      const second = await leaseOrThrow(60_000, 'worker-2');
      expect(second).toMatchObject({ id: first.id, imageId: image.id, attempt: 2 });
      expect(second.leaseToken).not.toBe(first.leaseToken);

      // The crashed worker wakes up: none of its calls touch the new lease.
      expect(await queue.heartbeat(first, 60_000)).toBe(false);
      await queue.complete(first);
      expect(await queue.fail(first, 'late failure', null)).toBe('retry');
      expect(await queue.depth()).toEqual({ waiting: 0, active: 1, dead: 0 });

      expect(await queue.heartbeat(second, 60_000)).toBe(true);
      await queue.complete(second);
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, dead: 0 });
    });

    it('keeps a job leased while its worker heartbeats', async () => {
      await enqueue();
      const job = await leaseOrThrow(50);
      expect(await queue.heartbeat(job, 60_000)).toBe(true);
      await sleep(120);
      expect(await queue.lease('worker-2', 60_000)).toBeNull();
      expect(await queue.depth()).toEqual({ waiting: 0, active: 1, dead: 0 });
    });

    it('retries a failed job at retryAt', async () => {
      const image = await enqueue();
      const job = await leaseOrThrow();
      expect(await queue.fail(job, 'encoder busy', Date.now() - 1)).toBe('retry');
      const again = await leaseOrThrow();
      expect(again).toMatchObject({ id: job.id, imageId: image.id, attempt: 2 });

      expect(await queue.fail(again, 'encoder busy', Date.now() + 60_000)).toBe('retry');
      expect(await queue.lease('worker-1', 60_000)).toBeNull();
      expect(await queue.depth()).toEqual({ waiting: 1, active: 0, dead: 0 });
    });

    it('dead-letters a job failed without retryAt', async () => {
      await enqueue();
      const job = await leaseOrThrow();
      expect(await queue.fail(job, 'invalid image', null)).toBe('dead');
      expect(await queue.lease('worker-1', 60_000)).toBeNull();
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, dead: 1 });
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
      expect(await queue.depth()).toEqual({ waiting: 0, active: 0, dead: 1 });
    });

    it('removes the jobs of given images', async () => {
      const a = await enqueue({ agoMs: 3000 });
      const b = await enqueue({ agoMs: 2000 });
      const c = await enqueue({ agoMs: 1000 });
      const leasedA = await leaseOrThrow();
      expect(leasedA.imageId).toBe(a.id);
      await queue.removeForImages([a.id, b.id]);
      await queue.removeForImages([]);
      expect(await queue.depth()).toEqual({ waiting: 1, active: 0, dead: 0 });
      expect((await leaseOrThrow()).imageId).toBe(c.id);
      expect(await queue.heartbeat(leasedA, 60_000)).toBe(false);
    });

    it('drops the jobs of a deleted session', async () => {
      const image = await enqueue();
      const other = await store.createSession({
        id: randomUUID(),
        userId: 'user-b',
        ttlSeconds: 3600,
        vendorData: null,
        callbackUrl: null,
        webhookSecret: null,
        now: Date.now(),
      });
      const kept = await enqueue({ target: other });
      expect(image.sessionId).toBe(session.id);
      await store.deleteSession('user-a', session.id);
      expect(await queue.depth()).toEqual({ waiting: 1, active: 0, dead: 0 });
      expect((await leaseOrThrow()).imageId).toBe(kept.id);
    });
  });
}
