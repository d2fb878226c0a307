// Bad settings, as an operator meets them: the built face-encode-server, started with a wrong flag or
// env value, exits 2 before doing anything, with one line on stderr naming the option (flag and env
// name), the value and what is allowed. It never starts on a silent fallback.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/spawn-server.js';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs the bin to its exit; one that starts listening instead is stopped and reported as `started`. */
function outcome(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, FACE_ENCODE_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | 'started' | null; stderr: string }>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"listening"')) return;
      child.kill('SIGTERM');
      resolve({ code: 'started', stderr });
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

const start = ['start', '--port', '0', '--workers', '0'];

describe('face-encode-server start refuses a bad setting with one line', () => {
  it.each<[string, string[], Record<string, string>, string]>([
    [
      'an auth mode in the wrong case',
      start,
      { FACE_ENCODE_AUTH: 'JWT' },
      'FACE_ENCODE_AUTH (--auth) must be one of demo, api-key, jwt (got "JWT")',
    ],
    [
      'an unknown auth mode as a flag',
      [...start, '--auth', 'JWT'],
      {},
      '--auth (FACE_ENCODE_AUTH) must be one of demo, api-key, jwt (got "JWT")',
    ],
    [
      'a threshold that is not a number',
      start,
      { FACE_ENCODE_THRESHOLD: 'abc' },
      'FACE_ENCODE_THRESHOLD (--threshold) must be a number greater than 0 (got "abc")',
    ],
    [
      'a threshold flag that is not a number',
      [...start, '--threshold', 'abc'],
      {},
      '--threshold (FACE_ENCODE_THRESHOLD) must be a number greater than 0 (got "abc")',
    ],
    [
      'a fractional worker count',
      ['start', '--port', '0'],
      { FACE_ENCODE_WORKERS: '1.5' },
      'FACE_ENCODE_WORKERS (--workers) must be an integer of at least 0 (got "1.5")',
    ],
    [
      'a fractional port',
      ['start', '--port', '1.5', '--workers', '0'],
      {},
      '--port (FACE_ENCODE_PORT) must be an integer from 0 to 65535 (got "1.5")',
    ],
    [
      'a port out of range',
      ['start', '--workers', '0'],
      { FACE_ENCODE_PORT: '70000' },
      'FACE_ENCODE_PORT (--port) must be an integer from 0 to 65535 (got "70000")',
    ],
    [
      'an env-only integer in hex',
      start,
      { FACE_ENCODE_RATE_LIMIT: '0x10' },
      'FACE_ENCODE_RATE_LIMIT must be an integer of at least 1 (got "0x10")',
    ],
    [
      'a switch that is neither on nor off',
      start,
      { FACE_ENCODE_KEEP_IMAGES: 'maybe' },
      'FACE_ENCODE_KEEP_IMAGES (--keep-images) must be true or false (or 1/0, yes/no, on/off) (got "maybe")',
    ],
    [
      'an unknown log level',
      start,
      { FACE_ENCODE_LOG_LEVEL: 'verbose' },
      'FACE_ENCODE_LOG_LEVEL (--log-level) must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    ],
  ])('%s', async (_name, args, env, message) => {
    const result = await outcome(args, env);
    expect(result).toEqual({ code: 2, stderr: `face-encode-server: ${message}\n` });
  });

  it('never echoes a secret it refuses', async () => {
    const result = await outcome(start, { FACE_ENCODE_UPLOAD_SECRET: 'short' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'face-encode-server: FACE_ENCODE_UPLOAD_SECRET must be at least 16 characters (got a secret of 5 characters)\n',
    );
  });

  it('treats an empty variable as unset and still starts', async () => {
    const result = await outcome(start, { FACE_ENCODE_THRESHOLD: '', FACE_ENCODE_AUTH: 'demo' });
    expect(result.code).toBe('started');
  });
});

describe('face-encode-server encoder', () => {
  it("reads no host, port or auth from the session server's variables, and checks the rest", async () => {
    // Were FACE_ENCODE_PORT or FACE_ENCODE_AUTH read, the first line would name them: they come first.
    const result = await outcome(['encoder', '--port', '0'], {
      FACE_ENCODE_HOST: '',
      FACE_ENCODE_PORT: 'abc',
      FACE_ENCODE_AUTH: 'JWT',
      FACE_ENCODE_WORKERS: '0',
    });
    expect(result).toEqual({
      code: 2,
      stderr:
        'face-encode-server: FACE_ENCODE_WORKERS (--workers) must be an integer of at least 1 (got "0")\n',
    });
  });
});

describe('face-encode-server keys create', () => {
  it.each([[''], ['has space'], ['x'.repeat(129)]])(
    'refuses the user id %j and makes no key',
    async (user) => {
      const result = await outcome(['keys', 'create', '--user', user]);
      expect(result).toEqual({
        code: 2,
        stderr: `face-encode-server: --user must be 1 to 128 letters, digits or . _ @ : - (got ${JSON.stringify(user)})\n`,
      });
      const listed = await run(process.execPath, [BIN, 'keys', 'list', '--data-dir', dataDir]);
      expect(listed.stdout).toBe('');
    },
  );
});

describe('face-encode-server cleanup', () => {
  it('refuses a fractional --orphan-grace', async () => {
    const result = await outcome(['cleanup', '--orphan-grace', '1.5']);
    expect(result).toEqual({
      code: 2,
      stderr: 'face-encode-server: --orphan-grace must be an integer of at least 0 (got "1.5")\n',
    });
  });
});
