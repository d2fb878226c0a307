import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { captureLog } from '../support/log-capture.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { stalledUpload } from '../support/stalled-upload.js';

// The server's own log, read back: shedding an upload is the server working as designed, so it is a
// warning without a stack, not a level-50 "request failed" (one per shed upload in a burst).
const log = captureLog('info');
const lines = log.lines;
let server: RunningServer;
let dir: string;
const MiB = 2 ** 20;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'face-encode-shed-log-'));
  server = await startServer(
    {
      auth: 'demo',
      port: 0,
      workers: 0,
      cleanupIntervalMs: 0,
      diskReserveMb: 0,
      dataDir: dir,
      uploadBufferMb: 1,
    },
    { logger: log.logger },
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newSession(): Promise<string> {
  const created = await fetch(`${server.url}/v1/session`, {
    method: 'POST',
    headers: { user_id: 'u', 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await created.json()) as { session_id: string }).session_id;
}

it('logs a shed upload as one warning, without an error or a stack', async () => {
  // One stalled upload holds the whole 1 MiB budget; the next is shed.
  const holder = stalledUpload(server.url, await newSession(), 'u', MiB);
  await new Promise((r) => setTimeout(r, 200));
  const shed = stalledUpload(server.url, await newSession(), 'u', MiB);
  const status = await new Promise<number | undefined>((resolve) =>
    shed.on('response', (res) => {
      res.resume();
      resolve(res.statusCode);
    }),
  );
  shed.destroy();
  holder.destroy();
  expect(status).toBe(503);
  await vi.waitFor(() => expect(lines.map((l) => l.msg)).toContain('upload shed'));
  const shedLine = lines.find((l) => l.msg === 'upload shed');
  expect(shedLine?.level).toBe(40);
  expect(shedLine?.err).toBeUndefined();
  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
});
