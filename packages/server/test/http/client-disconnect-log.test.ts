import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { captureLog } from '../support/log-capture.js';
import { sample } from '../encoder/sample-images.js';
import { startServer, type RunningServer } from '../../src/server.js';

// The server's own log, read back: a client that hangs up mid-upload is an info line, not an error.
const log = captureLog('info');
const lines = log.lines;
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'face-encode-gone-'));
  server = await startServer(
    { auth: 'demo', port: 0, workers: 0, cleanupIntervalMs: 0, diskReserveMb: 0, dataDir: dir },
    { logger: log.logger },
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

it('logs a client that disconnects mid-upload at info, without an error or a stack', async () => {
  const created = await fetch(`${server.url}/v1/session`, {
    method: 'POST',
    headers: { user_id: 'u', 'content-type': 'application/json' },
    body: '{}',
  });
  const { session_id: sessionId } = (await created.json()) as { session_id: string };
  const jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();
  const { port } = new URL(server.url);
  // The upload counts as started once Node's HTTP server hands the request on.
  let received = false;
  server.app.server.once('request', () => (received = true));
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(
    `POST /v1/image/${sessionId} HTTP/1.1\r\nHost: x\r\nuser_id: u\r\n` +
      'content-type: multipart/form-data; boundary=BB\r\ncontent-length: 100000\r\n\r\n' +
      '--BB\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n',
  );
  // The first half of a real JPEG, then the client goes away.
  socket.write(jpeg.subarray(0, jpeg.length >> 1));
  await vi.waitFor(() => expect(received).toBe(true));
  socket.destroy();

  await vi.waitFor(() => expect(lines.map((l) => l.msg)).toContain('client disconnected'), {
    timeout: 10_000,
  });
  const gone = lines.find((l) => l.msg === 'client disconnected');
  expect(gone?.level).toBe(30);
  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
});
