// `pnpm demo`: starts the reference server on embedded defaults (SQLite + files in a temp data dir,
// demo auth on loopback) and encodes sample photos that @vladmandic/face-api ships, through the CLI.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const require = createRequire(new URL('../packages/server/package.json', import.meta.url));
const samples = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
// Photos given on the command line are relative to where pnpm was run; the default ones to the sample folder.
const given = process.argv.slice(2);
const photos = given.length
  ? given.map((p) => resolve(process.env.INIT_CWD ?? process.cwd(), p))
  : ['sample1.jpg', 'sample2.jpg'];
const photoDir = given.length ? process.cwd() : samples;
const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-demo-'));

const server = spawn(
  process.execPath,
  [
    'packages/server/dist/bin.js',
    'start',
    '--auth',
    'demo',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--workers',
    '1',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const stop = () => {
  server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});

const url = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: server.stdout });
  lines.on('line', (line) => {
    try {
      const entry = JSON.parse(line);
      if (entry.msg === 'listening' && entry.url) resolve(entry.url);
    } catch {
      // not a log line
    }
  });
  server.on('exit', (code) => reject(new Error(`server exited early (${code})`)));
});
console.error(`face-encode demo: reference server at ${url} (data in ${dataDir}, removed afterwards)`);
console.error(
  `$ cd ${photoDir === samples ? '<@vladmandic/face-api>/demo' : photoDir} && face-encode encode ${photos.join(' ')}\n`,
);

const cliBin = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const cli = spawn(process.execPath, [cliBin, 'encode', ...photos, '--url', url, '--user-id', 'demo'], {
  stdio: 'inherit',
  cwd: photoDir,
});
const code = await new Promise((resolve) => cli.on('exit', (c) => resolve(c ?? 1)));
stop();
process.exit(code);
