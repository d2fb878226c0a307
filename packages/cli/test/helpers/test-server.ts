import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '@face-encode/server';

export interface TestServer {
  server: RunningServer;
  url: string;
  /** Reads a session straight from the API (not through the CLI), as `userId`. */
  getSession(sessionId: string, userId: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** The real reference server on an ephemeral port with a temp data dir. */
export async function startTestServer(
  options: {
    auth?: 'demo' | 'api-key';
    maxFileMb?: number;
    /** Turns collections on (FACE_ENCODE_MASTER_KEY, base64 of 32 bytes). */
    masterKey?: string;
    maxCollectionFaces?: number;
  } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-cli-server-'));
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    auth: options.auth ?? 'demo',
    workers: 1,
    cleanupIntervalMs: 0,
    logLevel: 'silent',
    ...(options.maxFileMb ? { maxFileMb: options.maxFileMb } : {}),
    ...(options.masterKey ? { masterKey: options.masterKey } : {}),
    ...(options.maxCollectionFaces ? { maxCollectionFaces: options.maxCollectionFaces } : {}),
  });
  return {
    server,
    url: server.url,
    async getSession(sessionId, userId) {
      const res = await fetch(`${server.url}/v1/session/${sessionId}`, { headers: { user_id: userId } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
