import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqJobQueue } from '../../src/queue/bullmq-job-queue.js';
import { jobQueueConformance } from './job-queue.conformance.js';
import { REDIS_URL, redisConnection, deleteKeys } from '../support/redis.js';

const STALLED_INTERVAL_MS = 100;

/** Each test gets its own key prefix, so parallel files and tests never share a queue. */
function openQueue(prefix = `fe-test-${randomUUID().slice(0, 8)}`) {
  const queue = new BullmqJobQueue({
    connection: redisConnection(),
    prefix,
    stalledIntervalMs: STALLED_INTERVAL_MS,
    drainDelaySeconds: 0.05,
  });
  return { queue, prefix };
}

jobQueueConformance(
  'BullMQ',
  async () => {
    const { queue, prefix } = openQueue();
    return {
      queue,
      async cleanup() {
        await queue.close();
        await deleteKeys(`${prefix}:*`);
      },
    };
  },
  // BullMQ puts a lock-expired job back from its stalled checker, which needs up to two runs.
  { redeliveryMs: 3 * STALLED_INTERVAL_MS + 200, removesLeasedJobs: false },
);

describe('BullmqJobQueue specifics', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('keeps every key under its prefix, and jobs hold ids only', async () => {
    const { queue, prefix } = openQueue();
    try {
      const imageId = randomUUID();
      await queue.enqueue({ imageId, sessionId: 's', userId: 'u', maxAttempts: 3, createdAt: Date.now() });
      const keys = await redis.keys(`${prefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      const job = await redis.hgetall(`${prefix}:encode:${imageId}`);
      expect(JSON.parse(job.data ?? '{}')).toEqual({
        imageId,
        sessionId: 's',
        userId: 'u',
        maxAttempts: 3,
        createdAt: expect.any(Number),
      });
    } finally {
      await queue.close();
      await deleteKeys(`${prefix}:*`);
    }
  });

  it('shares one queue between two processes’ adapters: a job is leased once', async () => {
    const prefix = `fe-test-${randomUUID().slice(0, 8)}`;
    const a = openQueue(prefix).queue;
    const b = openQueue(prefix).queue;
    try {
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      for (const imageId of ids)
        await a.enqueue({ imageId, sessionId: 's', userId: 'u', maxAttempts: 3, createdAt: Date.now() });
      const leased = await Promise.all([
        a.lease('a1', 60_000),
        b.lease('b1', 60_000),
        a.lease('a2', 60_000),
        b.lease('b2', 60_000),
      ]);
      const got = leased.flatMap((j) => (j ? [j.imageId] : []));
      expect(got.sort()).toEqual([...ids].sort());
    } finally {
      await a.close();
      await b.close();
      await deleteKeys(`${prefix}:*`);
    }
  });

  it('keeps dead-lettered jobs in the failed set with their reason', async () => {
    const { queue, prefix } = openQueue();
    try {
      const imageId = randomUUID();
      await queue.enqueue({ imageId, sessionId: 's', userId: 'u', maxAttempts: 1, createdAt: Date.now() });
      const job = await queue.lease('w', 60_000);
      if (!job) throw new Error('expected a job');
      expect(await queue.fail(job, 'decoder exploded', null)).toBe('dead');
      expect(await redis.zcard(`${prefix}:encode:failed`)).toBe(1);
      expect(await redis.hget(`${prefix}:encode:${imageId}`, 'failedReason')).toBe('decoder exploded');
    } finally {
      await queue.close();
      await deleteKeys(`${prefix}:*`);
    }
  });

  it("counts each user's unfinished jobs for fair turns, and forgets them once done, dead or removed", async () => {
    const { queue, prefix } = openQueue();
    const lines = () => redis.hgetall(`${prefix}:encode:fair-lines`);
    try {
      const job = (imageId: string) => ({
        imageId,
        sessionId: 's',
        userId: 'u',
        maxAttempts: 1,
        createdAt: Date.now(),
      });
      await queue.enqueue(job('done'));
      await queue.enqueue(job('done'));
      await queue.enqueue(job('dead'));
      await queue.enqueue(job('removed'));
      expect(await lines()).toEqual({ u: '3' });
      const done = await queue.lease('w', 60_000);
      const dead = await queue.lease('w', 60_000);
      if (!done || !dead) throw new Error('expected two jobs');
      await queue.complete(done);
      await queue.fail(dead, 'gave up', null);
      await queue.removeForImages(['removed', 'dead']);
      expect(await lines()).toEqual({});
    } finally {
      await queue.close();
      await deleteKeys(`${prefix}:*`);
    }
  });
});
