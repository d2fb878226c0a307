import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EncodeResult } from '../../src/encoder/encoder.js';
import { EncoderError } from '../../src/encoder/encoder-error.js';
import { LocalImageEvents } from '../../src/pipeline/image-events.js';
import { JobRunner } from '../../src/pipeline/job-runner.js';
import { openEmbeddedStores, type EmbeddedStores } from '../../src/server.js';

// The encoder is replaced here only to force failures and timing; real inference is tested elsewhere.
const face = {
  box: { x: 1, y: 1, width: 10, height: 10 },
  score: 0.9,
  landmarks: [],
  encoding: Array.from({ length: 128 }, () => 0.01),
  quality: { face_px: 10, brightness: 0.5, sharpness: 1, yaw: 0, roll: 0 },
};
const result = (faces = 1): EncodeResult => ({
  width: 20,
  height: 20,
  faces: Array.from({ length: faces }, () => face),
  timings: { decode_ms: 0, detect_ms: 0, landmarks_ms: 0, encode_ms: 0 },
});

let dir: string;
let stores: EmbeddedStores;
let runner: JobRunner | undefined;
const logger = pino({ level: 'silent' });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'face-encode-runner-'));
  stores = openEmbeddedStores(dir);
});
afterEach(async () => {
  await runner?.stop(1000);
  await stores.store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function addImage(sessionId = 's1', maxAttempts = 3, blobSha256: string | null = null) {
  if (!(await stores.store.getSession('u', sessionId))) {
    await stores.store.createSession({
      id: sessionId,
      userId: 'u',
      ttlSeconds: 3600,
      vendorData: null,
      callbackUrl: null,
      webhookSecret: null,
      now: Date.now(),
    });
  }
  const id = `img-${Math.random().toString(36).slice(2)}`;
  const blobKey = `images/${id}`;
  await stores.blobs.put(blobKey, new Uint8Array([1, 2, 3]));
  const added = await stores.store.addImage({
    id,
    userId: 'u',
    sessionId,
    imageName: null,
    contentType: 'image/jpeg',
    sizeBytes: 3,
    sha256: 'x',
    blobKey,
    blobSha256,
    maxImages: 5,
    maxAttempts,
    now: Date.now(),
  });
  if (!added.ok) throw new Error(added.reason);
  await stores.queue.enqueue(added.job);
  return added.image;
}

function startRunner(
  encode: (bytes: Uint8Array) => Promise<EncodeResult>,
  extra: Partial<ConstructorParameters<typeof JobRunner>[0]> = {},
) {
  const events = new LocalImageEvents();
  runner = new JobRunner({
    config: { leaseMs: 2000, maxFaces: 5, keepImages: false },
    store: stores.store,
    blobs: stores.blobs,
    queue: stores.queue,
    events,
    logger,
    encode,
    model: () => ({ id: 'test-model', version: '1' }),
    concurrency: 1,
    idlePollMs: 20,
    backoff: { baseMs: 5, maxMs: 20 },
    ...extra,
  });
  runner.start();
  return events;
}

async function finished(imageId: string, events: LocalImageEvents) {
  for (let i = 0; i < 200; i++) {
    const image = await stores.store.getImageForJob(imageId);
    if (image && (image.status === 'done' || image.status === 'failed')) return image;
    await events.waitFor(imageId, 50);
  }
  throw new Error('image never finished');
}

/** Lets pending I/O and promise callbacks run (never timers, which a test may have faked). */
async function until(condition: () => boolean | Promise<boolean>, what: string) {
  const deadline = performance.now() + 10_000;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('JobRunner', () => {
  it('wakes an idle loop for new work even after another loop’s idle poll, not at its own next poll', async () => {
    // Only notify() can wake a loop here: idle-poll timers fire only when the test advances them.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pending: Array<() => void> = [];
    // Done, with the raw image deleted: the last step before its loop looks for work again.
    const isDone = async (id: string) => {
      const image = await stores.store.getImageForJob(id);
      return image?.status === 'done' && image.blobKey === null;
    };
    try {
      startRunner(() => new Promise<EncodeResult>((resolve) => pending.push(() => resolve(result()))), {
        concurrency: 2,
        idlePollMs: 1000,
      });
      const notify = () => (runner as JobRunner).notify();
      // One loop works while the other idles, so their idle polls fall at different times.
      const first = await addImage();
      notify();
      await until(() => pending.length === 1, 'the first encode starts');
      vi.advanceTimersByTime(500);
      pending[0]?.();
      await until(() => isDone(first.id), 'the first image finishes');
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      vi.advanceTimersByTime(500); // the loop that stayed idle polls once and sleeps again
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));

      await addImage();
      notify();
      await until(() => pending.length === 2, 'the second encode starts');
      // One loop is busy now; the other must take the next image as soon as it is announced.
      await addImage();
      notify();
      await until(() => pending.length === 3, 'the third encode starts without an idle poll');
    } finally {
      for (const release of pending) release();
      vi.useRealTimers();
    }
  });

  it('writes the faces, completes the session and deletes the raw image', async () => {
    const image = await addImage();
    const events = startRunner(async () => result(2));
    const done = await finished(image.id, events);
    expect(done.faces).toHaveLength(2);
    expect(done.blobKey).toBeNull();
    expect(await stores.blobs.get(image.blobKey as string)).toBeNull();
    expect((await stores.store.getSession('u', 's1'))?.state).toBe('completed');
    expect(await stores.queue.depth()).toMatchObject({ waiting: 0, active: 0, dead: 0 });
  });

  it('retries a failing encode with backoff and succeeds', async () => {
    const image = await addImage();
    let calls = 0;
    const events = startRunner(async () => {
      calls++;
      if (calls < 3) throw new Error('transient');
      return result();
    });
    const done = await finished(image.id, events);
    expect(calls).toBe(3);
    expect(done.status).toBe('done');
  });

  it('dead-letters after the attempts run out: the image fails with encoding_failed and the session completes', async () => {
    const image = await addImage('s1', 3);
    let calls = 0;
    const events = startRunner(async () => {
      calls++;
      throw new Error('model exploded');
    });
    const failed = await finished(image.id, events);
    expect(calls).toBe(3);
    expect(failed.error).toEqual({ code: 'encoding_failed', message: 'model exploded' });
    expect((await stores.store.getSession('u', 's1'))?.state).toBe('completed');
    expect((await stores.queue.depth()).dead).toBe(1);
  });

  it('fails too_many_faces and invalid_image at once, without retrying', async () => {
    const many = await addImage();
    const bad = await addImage();
    let calls = 0;
    const events = startRunner(async () => {
      calls++;
      if (calls === 1) return result(6);
      throw new EncoderError('invalid_image', 'The image could not be decoded.');
    });
    expect((await finished(many.id, events)).error?.code).toBe('too_many_faces');
    expect((await finished(bad.id, events)).error?.code).toBe('invalid_image');
    expect(calls).toBe(2);
  });

  it('fails digest_mismatch without encoding, and deletes the blob, when it is not the checked one', async () => {
    const checked = createHash('sha256')
      .update(new Uint8Array([1, 2, 3]))
      .digest('hex');
    const intact = await addImage('s1', 3, checked);
    const swapped = await addImage('s1', 3, checked);
    // Replaced after the API checked it (a direct upload's store is writable from outside).
    await stores.blobs.put(swapped.blobKey as string, new Uint8Array([6, 6, 6]));
    const encoded: number[] = [];
    const events = startRunner(async (bytes) => (encoded.push(bytes.length), result()), {
      config: { leaseMs: 2000, maxFaces: 5, keepImages: true },
    });
    expect(await finished(swapped.id, events)).toMatchObject({
      status: 'failed',
      error: { code: 'digest_mismatch', message: 'The stored image changed after it was checked.' },
    });
    expect(await finished(intact.id, events)).toMatchObject({ status: 'done' });
    expect(encoded).toEqual([3]);
    // Kept images are kept, but not bytes nobody checked.
    expect(await stores.blobs.get(swapped.blobKey as string)).toBeNull();
    expect(await stores.blobs.get(intact.blobKey as string)).not.toBeNull();
  });

  it('writes nothing when the session is deleted while its image is encoding', async () => {
    const image = await addImage();
    let release: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      startRunner(
        () =>
          new Promise((r) => {
            resolve();
            release = () => r(result());
          }),
      );
    });
    await started;
    await stores.store.deleteSession('u', 's1');
    release();
    await new Promise((r) => setTimeout(r, 200));
    expect(await stores.store.getImageForJob(image.id)).toBeNull();
    const rows = stores.db
      .prepare('SELECT (SELECT COUNT(*) FROM images) + (SELECT COUNT(*) FROM jobs) AS n')
      .get() as { n: number };
    expect(rows.n).toBe(0);
  });

  it('keeps a long job alive with heartbeats, so no second worker takes it', async () => {
    const image = await addImage();
    let calls = 0;
    const events = startRunner(
      async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 600));
        return result();
      },
      { config: { leaseMs: 150, maxFaces: 5, keepImages: false }, concurrency: 2 },
    );
    const done = await finished(image.id, events);
    expect(done.status).toBe('done');
    expect(calls).toBe(1);
  });

  it('stores the model that encoded the image', async () => {
    const image = await addImage();
    const events = startRunner(async () => result(1));
    const done = await finished(image.id, events);
    expect(done.model).toEqual({ id: 'test-model', version: '1' });
  });

  it('hands a job still encoding back to the queue when a shutdown runs out of time', async () => {
    const image = await addImage();
    let started: () => void = () => {};
    const encoding = new Promise<void>((r) => (started = r));
    startRunner(async () => {
      started();
      return new Promise<EncodeResult>(() => {});
    });
    await encoding;
    await (runner as JobRunner).stop(50);
    // Another worker can take it at once, and the attempt was not used up.
    const again = await stores.queue.lease('next-worker', 60_000);
    expect(again).toMatchObject({ imageId: image.id, attempt: 1 });
    expect((await stores.store.getImageForJob(image.id))?.status).not.toBe('done');
  });
});
