import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../encoder/sample-images.js';
import { imageForm, startTestServer, type TestServer } from '../support/test-server.js';

// A real full disk: the data dir is a 2 MiB tmpfs, filled to the last byte by a file of the test's.
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('disk-full.test.ts skipped: mounting a tmpfs needs root.');

let mount: string;
let server: TestServer;

beforeAll(async () => {
  if (!isRoot) return;
  mount = mkdtempSync(join(tmpdir(), 'face-encode-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
  server = await startTestServer({ minFreeDiskMb: 0.25, diskReserveMb: 0.25 }, { dataDir: mount });
});
afterAll(async () => {
  if (!isRoot) return;
  await server?.close();
  execFileSync('umount', [mount]);
  rmSync(mount, { recursive: true, force: true });
});

/** Writes zeros into `path` until the file system says ENOSPC. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

const json = { 'content-type': 'application/json' };

describe.skipIf(!isRoot)('a full data disk', () => {
  it('answers 507 storage_full, reports not ready, and still lets a user delete to free space', async () => {
    const created = await server.call('/v1/session', {
      method: 'POST',
      user: 'u',
      headers: json,
      body: '{}',
    });
    expect(created.status).toBe(201);
    const { session_id: sessionId } = (await created.json()) as { session_id: string };
    const jpeg = await sharp(sample(2)).resize(200).jpeg().toBuffer();
    const first = await server.call(`/v1/image/${sessionId}`, {
      method: 'POST',
      user: 'u',
      body: imageForm(jpeg),
    });
    expect(first.status).toBe(201);
    expect((await server.call('/readyz')).status).toBe(200);

    fillDisk(join(mount, 'filler'));

    const upload = await server.call(`/v1/image/${sessionId}`, {
      method: 'POST',
      user: 'u',
      body: imageForm(jpeg),
    });
    expect(upload.status).toBe(507);
    expect(upload.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await upload.json()).toMatchObject({ status: 507, code: 'storage_full' });

    const ready = await server.call('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { disk: { ok: false } } });

    const deleted = await server.call(`/v1/session/${sessionId}`, { method: 'DELETE', user: 'u' });
    expect(deleted.status).toBe(204);
    expect((await server.call(`/v1/session/${sessionId}`, { user: 'u' })).status).toBe(404);

    // The operator frees the disk: ready again, uploads work.
    rmSync(join(mount, 'filler'));
    expect((await server.call('/readyz')).status).toBe(200);
    const again = await server.call('/v1/session', { method: 'POST', user: 'u', headers: json, body: '{}' });
    expect(again.status).toBe(201);
  });
});
