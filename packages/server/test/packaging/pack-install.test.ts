import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What a user gets from npm: the three packages packed by pnpm (prepack builds them), installed with npm
// into a directory outside the workspace, so nothing resolves through the workspace's node_modules.
const packagesDir = fileURLToPath(new URL('../../../', import.meta.url));
const hasPnpm = !spawnSync('pnpm', ['--version'], { stdio: 'ignore' }).error;
const sample = join(
  dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
  'demo',
  'sample1.jpg',
);

let dir: string;
let server: ChildProcess | undefined;
const run = (cmd: string, args: string[], cwd = dir) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
const bin = (name: string) => join(dir, 'node_modules', '.bin', name);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe.skipIf(!hasPnpm)('packed packages, installed with npm outside the workspace', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'face-encode-pack-'));
    const tarballs = join(dir, 'tarballs');
    mkdirSync(tarballs);
    for (const p of ['sdk', 'cli', 'server'])
      run('pnpm', ['pack', '--pack-destination', tarballs], join(packagesDir, p));
    const file = (prefix: string) =>
      `file:tarballs/${readdirSync(tarballs).find((f) => f.startsWith(prefix))}`;
    const sdk = file('face-encode-sdk-');
    // The CLI's tarball asks for @face-encode/sdk@0.1.0: the override points it at this tarball.
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'scratch',
        private: true,
        dependencies: {
          '@face-encode/sdk': sdk,
          '@face-encode/cli': file('face-encode-cli-'),
          '@face-encode/server': file('face-encode-server-'),
        },
        overrides: { '@face-encode/sdk': sdk },
      }),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
  }, 900_000);

  afterAll(() => {
    server?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each tarball carries README.md and LICENSE', () => {
    for (const name of ['sdk', 'cli', 'server']) {
      const root = join(dir, 'node_modules', '@face-encode', name);
      expect(readdirSync(root)).toEqual(
        expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'dist']),
      );
    }
  });

  it('runs face-encode --help from the installed bin', () => {
    expect(run(bin('face-encode'), ['--help'])).toContain('Usage: face-encode');
  });

  it('imports the SDK as ESM and as CJS', () => {
    const esm = run(process.execPath, [
      '--input-type=module',
      '-e',
      "import * as m from '@face-encode/sdk'; import * as n from '@face-encode/sdk/node'; console.log(typeof m.createFaceEncodeClient, typeof m.verifyWebhook, typeof n.readImageFile)",
    ]);
    expect(esm.trim()).toBe('function function function');
    const cjs = run(process.execPath, [
      '-e',
      "const m = require('@face-encode/sdk'); const n = require('@face-encode/sdk/node'); console.log(typeof m.createFaceEncodeClient, typeof m.verifyWebhook, typeof n.readImageFile)",
    ]);
    expect(cjs.trim()).toBe('function function function');
  });

  it('starts face-encode-server from the install and encodes a photo through the installed CLI', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    server = spawn(
      bin('face-encode-server'),
      ['start', '--auth', 'demo', '--port', String(port), '--workers', '1', '--data-dir', join(dir, 'data')],
      { cwd: dir, stdio: 'ignore' },
    );
    for (let i = 0; i < 240; i++) {
      const ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const out = run(bin('face-encode'), ['encode', sample, '--url', url, '--user-id', 'pack', '--json']);
    const summary = JSON.parse(out) as {
      status: string;
      images: Array<{ status: string; faces: unknown[] }>;
    };
    expect(summary.status).toBe('completed');
    expect(summary.images[0]?.status).toBe('done');
    expect(summary.images[0]?.faces.length).toBeGreaterThan(0);
  }, 300_000);
});
