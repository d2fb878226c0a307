import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { EngineConfigError, openEngines } from '../src/engines.js';
import { createTestSchema } from './support/postgres.js';
import { REDIS_URL, deleteKeys, testPrefix } from './support/redis.js';

describe('openEngines', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'face-encode-engines-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens the embedded defaults with no URLs', async () => {
    const engines = await openEngines(resolveConfig({ dataDir: dir }));
    expect(engines.kinds).toEqual({ database: 'sqlite', queue: 'sqlite', blobs: 'file' });
    await engines.store.ping();
    await engines.close();
  });

  it('opens PostgreSQL, BullMQ and migrations from URLs', async () => {
    const db = await createTestSchema();
    const prefix = testPrefix();
    try {
      const engines = await openEngines(
        resolveConfig({ dataDir: dir, databaseUrl: db.url, redisUrl: REDIS_URL, redisPrefix: prefix }),
      );
      try {
        expect(engines.kinds).toEqual({ database: 'postgres', queue: 'bullmq', blobs: 'file' });
        await engines.migrate();
        await engines.store.ping();
        await engines.queue.ping();
        expect(engines.rateLimitRedis).not.toBeNull();
      } finally {
        await engines.close();
      }
    } finally {
      await db.drop();
      await deleteKeys(`${prefix}:*`);
    }
  });

  it.each([
    [{ databaseUrl: 'postgres://postgres@127.0.0.1/test' }, /set --redis-url/],
    [{ databaseUrl: 'mysql://x@y/z' }, /--database-url must be postgres/],
    [{ redisUrl: 'http://127.0.0.1:6379' }, /--redis-url must be redis:\/\//],
    [{ blobUrl: 'ftp://bucket' }, /--blob-url: .*accepted: file:\/\/\/absolute\/dir or s3:\/\/bucket/],
  ])('refuses %o with one line saying what to set', async (partial, message) => {
    const error = await openEngines(resolveConfig({ dataDir: dir, ...partial })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
