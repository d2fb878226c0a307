import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pino, type Logger } from 'pino';
import type { ServerConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** Calls the API as `user` (demo auth) or with a bearer key. */
  call(path: string, init?: RequestInit & { user?: string; key?: string }): Promise<Response>;
  /** Every file under the data dir, relative to it (database files and the disk reserve excluded). */
  files(): string[];
  /** Closes the server and removes its data dir. */
  dispose(): Promise<void>;
}

/** A real server on an ephemeral port with its own temp data dir. No encoder threads unless asked. */
export async function startTestServer(
  config: Partial<ServerConfig> = {},
  options: { dataDir?: string; now?: () => number; logger?: Logger } = {},
): Promise<TestServer> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'face-encode-test-'));
  const server = await startServer(
    // No disk reserve unless asked: it is 16 MiB written per server (test/http/disk-full.test.ts asks).
    { auth: 'demo', port: 0, workers: 0, cleanupIntervalMs: 0, diskReserveMb: 0, dataDir: dir, ...config },
    { logger: options.logger ?? pino({ level: 'silent' }), now: options.now },
  );
  return {
    ...server,
    dataDir: dir,
    call(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.user) headers.set('user_id', init.user);
      if (init.key) headers.set('authorization', `Bearer ${init.key}`);
      return fetch(`${server.url}${path}`, { ...init, headers });
    },
    files() {
      return readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && !e.name.startsWith('face-encode.db') && e.name !== 'space-reserve')
        .map((e) => relative(dir, join(e.parentPath, e.name)));
    },
    async dispose() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A multipart body with `file` (and optional extra fields). */
export function imageForm(
  bytes: Uint8Array,
  name = 'photo.jpg',
  fields: Record<string, string> = {},
): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([new Uint8Array(bytes)]), name);
  return form;
}
