import { startServer, type RunningServer } from '@face-encode/server';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A sample photo shipped with face-api (resolved from the server package, read in place). */
export function samplePath(n: number): string {
  const serverPkg = fileURLToPath(new URL('../../server/package.json', import.meta.url));
  const faceApi = createRequire(serverPkg).resolve('@vladmandic/face-api/package.json');
  return join(dirname(faceApi), 'demo', `sample${n}.jpg`);
}

export function sampleBytes(n: number): Uint8Array {
  return new Uint8Array(readFileSync(samplePath(n)));
}

/** Starts the real reference server in demo mode on an ephemeral port with its own data dir. */
export async function startTestServer(
  overrides: Record<string, unknown> = {},
): Promise<{ server: RunningServer; close: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sdk-it-'));
  const server = await startServer({
    auth: 'demo',
    workers: 1,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    ...overrides,
  });
  return {
    server,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
