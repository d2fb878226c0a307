import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHome, json } from './helpers/cli.js';
import { FaultServer } from './helpers/fault-server.js';

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
let home: CliHome;

beforeAll(() => {
  home = new CliHome();
});
afterAll(() => home?.close());

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('help and version', () => {
  it('prints help with the commands, examples and exit codes', async () => {
    const r = await home.run(['--help']);
    expect(r.code).toBe(0);
    for (const command of [
      'login',
      'logout',
      'config',
      'session',
      'upload',
      'encode',
      'compare',
      'completion',
    ]) {
      expect(r.stdout).toContain(`  ${command}`);
    }
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('Exit codes: 0 ok');
  });

  it.each([
    'login',
    'logout',
    'config',
    'config get',
    'config set',
    'config list',
    'session',
    'session create',
    'session show',
    'session list',
    'session delete',
    'upload',
    'encode',
    'compare',
    'completion',
  ])('has examples in the help of %s', async (path) => {
    const r = await home.run([...path.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}\$ face-encode /);
  });

  it('prints the version', async () => {
    const r = await home.run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['bogus']],
    [[]],
    [['session']],
    [['session', 'show']],
    [['upload', 'only-a-session-id']],
    [['compare', 'a.jpg']],
    [['session', 'list', '--limit', '0']],
    [['session', 'list', '--timeout', 'soon']],
    [['completion', 'powershell']],
  ])('%j', async (args) => {
    const r = await home.run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toBe('');
  });
});

describe('server and network failures exit 7', () => {
  it.each(['error-500', 'error-503', 'drop'] as const)('%s', async (kind) => {
    const fault = await FaultServer.start(kind);
    try {
      const r = await home.run(['session', 'list', '--url', fault.url, '--user-id', 'u']);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/^Error: .+\nHint: .+\n$/);
      expect(fault.requests).toBeGreaterThanOrEqual(1);
    } finally {
      await fault.close();
    }
  });

  it('names the URL when nothing listens, with a JSON error under --json', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await home.run(['session', 'list', '--json'], {
      env: { FACE_ENCODE_URL: url, FACE_ENCODE_USER_ID: 'u' },
    });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`Cannot reach the server at ${url}.`);
    expect(json(r)).toMatchObject({ error: { exit_code: 7, message: `Cannot reach the server at ${url}.` } });
  });

  it('prints a stack trace and the requests only with --debug', async () => {
    const fault = await FaultServer.start('error-500');
    try {
      const plain = await home.run(['session', 'list', '--url', fault.url]);
      expect(plain.stderr).not.toMatch(/\n\s+at /);
      const debug = await home.run(['session', 'list', '--url', fault.url, '--debug']);
      expect(debug.code).toBe(7);
      expect(debug.stderr).toMatch(/\n\s+at /);
      expect(debug.stderr).toMatch(/debug: GET .*\/v1\/sessions.* -> 500/);
    } finally {
      await fault.close();
    }
  });
});

describe('timeouts and Ctrl-C', () => {
  it('exits 6 when the server does not answer within --timeout', async () => {
    const fault = await FaultServer.start('hang');
    try {
      const r = await home.run(['session', 'list', '--url', fault.url, '--timeout', '0.5']);
      expect(r.code).toBe(6);
      expect(r.stderr).toContain('--timeout');
    } finally {
      await fault.close();
    }
  });

  it('aborts the request in flight and exits 130 on SIGINT', async () => {
    const fault = await FaultServer.start('hang');
    try {
      const r = await home.run(['session', 'list', '--url', fault.url], {
        onSpawn: (child) => {
          const poll = setInterval(() => {
            if (fault.requests > 0) {
              clearInterval(poll);
              child.kill('SIGINT');
            }
          }, 20);
        },
      });
      expect(r.code).toBe(130);
      expect(r.stderr).toContain('Cancelled.');
    } finally {
      await fault.close();
    }
  });
});
