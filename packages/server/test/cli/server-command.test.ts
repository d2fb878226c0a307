import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-cmd-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('face-encode-server keys', () => {
  it('creates a key shown once, lists it without the key, and revokes it', async () => {
    const created = await run(process.execPath, [
      bin,
      'keys',
      'create',
      '--user',
      'alice',
      '--data-dir',
      dataDir,
    ]);
    const key = /fe_[A-Za-z0-9_-]+/.exec(created.stdout)?.[0];
    expect(key).toBeDefined();
    const id = /Created key (\S+)/.exec(created.stdout)?.[1] as string;
    const listed = await run(process.execPath, [bin, 'keys', 'list', '--data-dir', dataDir]);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('active');
    expect(listed.stdout).not.toContain(key);
    await run(process.execPath, [bin, 'keys', 'revoke', id, '--data-dir', dataDir]);
    expect((await run(process.execPath, [bin, 'keys', 'list', '--data-dir', dataDir])).stdout).toContain(
      'revoked',
    );
    const again = await run(process.execPath, [bin, 'keys', 'revoke', id, '--data-dir', dataDir]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(again).toMatchObject({ code: 4 });
  });
});

describe('face-encode-server start', () => {
  it('serves with env-configured settings and shuts down gracefully on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'start', '--port', '0', '--workers', '0'], {
      env: { ...process.env, FACE_ENCODE_DATA_DIR: dataDir, FACE_ENCODE_AUTH: 'demo' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise<string>((resolve) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; url?: string; auth?: string };
        if (entry.msg === 'listening') {
          expect(entry.auth).toBe('demo');
          resolve(entry.url as string);
        }
      });
    });
    const res = await fetch(`${url}/v1/sessions`, { headers: { user_id: 'u' } });
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
  });

  it('runs one cleanup pass from the command line', async () => {
    const { stdout } = await run(process.execPath, [bin, 'cleanup', '--data-dir', dataDir]);
    expect(JSON.parse(stdout)).toMatchObject({ sessions: 0, orphans: 0 });
  });
});
