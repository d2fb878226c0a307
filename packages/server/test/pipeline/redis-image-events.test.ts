import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisImageEvents } from '../../src/pipeline/redis-image-events.js';
import { REDIS_URL, testPrefix } from '../support/redis.js';

describe('RedisImageEvents', () => {
  const opened: RedisImageEvents[] = [];
  const open = async (prefix: string) => {
    const events = new RedisImageEvents({ url: REDIS_URL, prefix });
    opened.push(events);
    await events.ready();
    return events;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((e) => e.close()));
  });

  it('wakes a waiter in one process when another process finishes the image', async () => {
    const prefix = testPrefix();
    const api = await open(prefix);
    const worker = await open(prefix);
    const imageId = randomUUID();
    const waiting = api.waitFor(imageId, 10_000);
    worker.emitFinished(imageId);
    expect(await waiting).toBe(true);
  });

  it('wakes only the waiters of that image, and only within its deployment’s prefix', async () => {
    const prefix = testPrefix();
    const api = await open(prefix);
    const worker = await open(prefix);
    const elsewhere = await open(testPrefix());
    const mine = randomUUID();
    const other = api.waitFor(randomUUID(), 500);
    const foreign = elsewhere.waitFor(mine, 500);
    const waiting = api.waitFor(mine, 10_000);
    worker.emitFinished(mine);
    expect(await waiting).toBe(true);
    expect(await other).toBe(false);
    expect(await foreign).toBe(false);
  });

  it('stops waiting when the request goes away', async () => {
    const api = await open(testPrefix());
    const abort = new AbortController();
    const waiting = api.waitFor(randomUUID(), 10_000, abort.signal);
    abort.abort();
    expect(await waiting).toBe(false);
  });
});
