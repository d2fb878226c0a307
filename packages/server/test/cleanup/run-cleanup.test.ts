import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCleanup } from '../../src/cleanup/run-cleanup.js';
import { openEmbeddedStores, type EmbeddedStores } from '../../src/server.js';

let dir: string;
let stores: EmbeddedStores;
const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'face-encode-cleanup-'));
  stores = openEmbeddedStores(dir);
});
afterEach(async () => {
  await stores.store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Backdates a blob file so it looks `ageMs` old. */
function age(relative: string, ageMs: number) {
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(join(dir, 'blobs', relative), t, t);
}

async function sessionWithImage(id: string, ttlSeconds: number, now: number) {
  await stores.store.createSession({
    id,
    userId: 'u',
    ttlSeconds,
    vendorData: null,
    callbackUrl: null,
    webhookSecret: null,
    now,
  });
  await stores.blobs.put(`images/${id}-img`, new Uint8Array([1, 2, 3]));
  const added = await stores.store.addImage({
    id: `${id}-img`,
    userId: 'u',
    sessionId: id,
    imageName: null,
    contentType: 'image/jpeg',
    sizeBytes: 3,
    sha256: 'x',
    blobKey: `images/${id}-img`,
    maxImages: 5,
    maxAttempts: 3,
    now,
  });
  expect(added.ok).toBe(true);
}

describe('runCleanup', () => {
  it('purges expired sessions with their rows and blobs, and keeps live ones', async () => {
    const now = Date.now();
    await sessionWithImage('old', 60, now - 2 * 60_000);
    await sessionWithImage('live', 3600, now);
    const report = await runCleanup({ ...stores, logger, now });
    expect(report).toMatchObject({ sessions: 1, blobs: 1 });
    expect(await stores.store.getSession('u', 'old')).toBeNull();
    expect(await stores.blobs.get('images/old-img')).toBeNull();
    expect(await stores.store.getSession('u', 'live')).not.toBeNull();
    expect(await stores.blobs.get('images/live-img')).not.toBeNull();
    const rows = stores.db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE session_id = 'old'`).get() as {
      n: number;
    };
    expect(rows.n).toBe(0);
  });

  it('deletes orphaned blobs and stale temp files past the grace period, never fresh ones', async () => {
    await stores.blobs.put('images/orphan-old', new Uint8Array([1]));
    await stores.blobs.put('images/orphan-new', new Uint8Array([2]));
    age('images/orphan-old', 2 * HOUR);
    mkdirSync(join(dir, 'blobs', '.tmp'), { recursive: true });
    writeFileSync(join(dir, 'blobs', '.tmp', 'stale'), 'x');
    writeFileSync(join(dir, 'blobs', '.tmp', 'fresh'), 'x');
    age('.tmp/stale', 2 * HOUR);
    const report = await runCleanup({ ...stores, logger, now: Date.now(), staleUploadMs: HOUR });
    expect(report).toMatchObject({ orphans: 1, tempFiles: 1 });
    expect(await stores.blobs.get('images/orphan-old')).toBeNull();
    // An upload whose record is not written yet looks orphaned; the grace period protects it.
    expect(await stores.blobs.get('images/orphan-new')).not.toBeNull();
  });

  it('drops expired idempotency records', async () => {
    const now = Date.now();
    await sessionWithImage('s', 3600, now);
    await stores.store.beginIdempotency({
      userId: 'u',
      key: 'k',
      sessionId: 's',
      requestHash: 'h',
      ttlMs: 1000,
      now: now - 5000,
    });
    const report = await runCleanup({ ...stores, logger, now });
    expect(report.idempotency).toBe(1);
  });
});
