import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../src/pipeline/outbox-relay.js';
import type { JobQueue } from '../../src/queue/job-queue.js';
import { openEmbeddedStores, type EmbeddedStores } from '../../src/server.js';
import { addImageOk, createSession } from '../storage/metadata-store.conformance.js';

const logger = pino({ level: 'silent' });

describe('OutboxRelay', () => {
  let dir: string;
  let stores: EmbeddedStores;
  let clock: number;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'face-encode-relay-'));
    stores = openEmbeddedStores(dir);
    clock = Date.UTC(2026, 10, 22, 10, 0, 5);
  });
  afterEach(async () => {
    await stores.store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const relay = (queue: JobQueue = stores.queue) =>
    new OutboxRelay({
      store: stores.store,
      queue,
      lock: stores.lock,
      logger,
      intervalMs: 0,
      now: () => clock,
    });

  it('publishes an upload’s job at once and acknowledges it', async () => {
    const session = await createSession(stores.store);
    const added = await stores.store.addImage({
      id: 'img-1',
      userId: session.userId,
      sessionId: session.id,
      imageName: null,
      contentType: 'image/jpeg',
      sizeBytes: 1,
      sha256: 'a'.repeat(64),
      blobKey: 'images/x',
      maxImages: 5,
      maxAttempts: 3,
      now: clock,
    });
    if (!added.ok) throw new Error(added.reason);
    await relay().publish([added.job]);
    expect(await stores.store.pendingOutbox(clock + 60_000, 10)).toEqual([]);
    expect((await stores.queue.lease('w', 60_000))?.imageId).toBe('img-1');
  });

  it('leaves an entry whose publish failed to the sweep, which publishes it once past the grace period', async () => {
    const session = await createSession(stores.store);
    const image = await addImageOk(stores.store, session);
    const [entry] = await stores.store.pendingOutbox(clock, 10);
    // The queue refuses: only enqueue is called on a publish.
    const down = Object.create(stores.queue, {
      enqueue: { value: () => Promise.reject(new Error('Redis is down')) },
    }) as JobQueue;
    await relay(down).publish([entry!]);
    expect(await stores.store.pendingOutbox(clock, 10)).toHaveLength(1);

    // Within the grace period the sweep leaves it to the process that wrote it.
    clock = entry!.createdAt + 1000;
    expect(await relay().sweepOnce()).toBe(0);
    clock = entry!.createdAt + 2500;
    expect(await relay().sweepOnce()).toBe(1);
    expect(await stores.store.pendingOutbox(clock, 10)).toEqual([]);
    expect((await stores.queue.lease('w', 60_000))?.imageId).toBe(image.id);
    expect(await relay().sweepOnce()).toBe(0);
  });

  it('sweeps on one process at a time', async () => {
    const session = await createSession(stores.store);
    await addImageOk(stores.store, session);
    clock += 60_000;
    let release: () => void = () => {};
    const held = stores.lock.tryWithLock('outbox-relay', () => new Promise<void>((r) => (release = r)));
    expect(await relay().sweepOnce()).toBe(0);
    release();
    await held;
    expect(await relay().sweepOnce()).toBe(1);
  });
});
