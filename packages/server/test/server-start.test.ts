import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/test-server.js';

let server: TestServer | undefined;
afterAll(() => server?.dispose());

it('sweeps temp files of crashed writes at start, leaving ones young enough to be in flight', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-restart-'));
  const temp = join(dataDir, 'blobs', '.tmp');
  mkdirSync(temp, { recursive: true });
  const old = Date.now() / 1000 - 600;
  for (const name of ['crashed-a', 'crashed-empty']) {
    writeFileSync(join(temp, name), name === 'crashed-empty' ? '' : 'partial image bytes');
    utimesSync(join(temp, name), old, old);
  }
  writeFileSync(join(temp, 'in-flight'), 'bytes');
  server = await startTestServer({ requestTimeoutMs: 60_000 }, { dataDir });
  expect(readdirSync(temp)).toEqual(['in-flight']);
  rmSync(join(temp, 'in-flight'));
});
