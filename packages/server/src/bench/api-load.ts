// The API benchmark's pieces: a bare Fastify 5 process to compare with, the server processes on a scratch data
// dir (SQLite) or a scratch schema and Redis prefix (PostgreSQL), and one table row per target, all driven by wrk.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { deleteRedisPrefix, resetSchema, schemaUrl } from '../dev/scratch-engines.js';
import { SERVER_BIN, spawnServer, type ServerProcess } from '../dev/server-process.js';
import { runWrk, type WrkResult, type WrkRun } from './wrk.js';
export { openSession as newSession } from './upload-load.js';

/** The connections of every row, as the issue measured. */
export const CONNECTIONS = 32;

export const loadAverage = () =>
  loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');

/** What answers the comparison rows: the bare route alone, or the server's own HTTP shell around it. */
export type BareKind = 'bare' | 'shell' | 'shell-quiet';

/**
 * Starts `bench-api.js --bare <kind>` and resolves with its URL. Its stdout (the shell's log lines, then
 * nothing) is drained, as the server's is.
 */
export function startBare(kind: BareKind = 'bare'): Promise<{ url: string; pid: number; stop: () => void }> {
  const entry = fileURLToPath(new URL('./bench-api.js', import.meta.url));
  const child = spawn(process.execPath, [entry, '--bare', kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited with ${code}`)));
    // Every line is read, so the shell's log lines never fill the pipe; the first with benchUrl is its address.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const { benchUrl } = JSON.parse(line) as { benchUrl?: string };
      if (benchUrl) resolve({ url: benchUrl, pid: child.pid as number, stop: () => child.kill() });
    });
  });
}

const HELLO = { hello: 'world', ok: true };

/**
 * The bare route, what the server's ratios are measured against; or, as `shell`, the same route inside the
 * server's own HTTP app (createHttpApp: request id, demo auth, rate limiter, body rules, metrics, one `info`
 * log line per request), and as `shell-quiet` that shell logging at `warn` (no line per request). The two shell
 * rows are the floor under every API row: what a route that does nothing costs in this server.
 */
export async function serveBare(kind: BareKind): Promise<void> {
  const app = kind === 'bare' ? await bareApp() : await shellApp(kind === 'shell' ? 'info' : 'warn');
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ benchUrl: `${url}/` }));
}

async function bareApp() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get('/', async () => HELLO);
  return app;
}

async function shellApp(logLevel: 'info' | 'warn') {
  const { createHttpApp } = await import('../http/create-http-app.js');
  const { createMetrics } = await import('../http/metrics.js');
  const { createAuthenticator } = await import('../auth/authenticate.js');
  const { resolveConfig } = await import('../config.js');
  const config = resolveConfig({ auth: 'demo', logLevel, rateLimitMax: 1_000_000_000 });
  const schema = {
    type: 'object',
    properties: { hello: { type: 'string' }, ok: { type: 'boolean' } },
    required: ['hello', 'ok'],
  };
  return createHttpApp(config, {
    metrics: createMetrics(),
    // Demo auth reads the user_id header and never the store.
    authenticate: await createAuthenticator(config, { store: null as never }),
    document: {
      openapi: '3.1.0',
      info: { title: 'bench', version: '1' },
      paths: {
        '/': {
          get: {
            operationId: 'hello',
            responses: { '200': { description: 'ok', content: { 'application/json': { schema } } } },
          },
        },
      },
      components: { schemas: {} },
    },
    handlers: { hello: async () => HELLO },
  });
}

export interface BenchEngine {
  name: 'SQLite' | 'PostgreSQL';
  /** Engine flags for every server process and for `keys create`. */
  args: string[];
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export function sqliteEngine(): BenchEngine {
  const dir = mkdtempSync(join(tmpdir(), 'face-encode-bench-api-'));
  return {
    name: 'SQLite',
    args: ['--data-dir', dir],
    env: {},
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function postgresEngine(o: { databaseUrl: string; redisUrl: string }): Promise<BenchEngine> {
  const schema = `bench_api_${process.pid}`;
  const prefix = `bench-api-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'face-encode-bench-api-pg-'));
  await resetSchema({ databaseUrl: o.databaseUrl, schema, recreate: true });
  return {
    name: 'PostgreSQL',
    args: ['--data-dir', dir, '--database-url', schemaUrl(o.databaseUrl, schema), '--redis-url', o.redisUrl],
    env: { FACE_ENCODE_REDIS_PREFIX: prefix },
    async cleanup() {
      await resetSchema({ databaseUrl: o.databaseUrl, schema, recreate: false });
      await deleteRedisPrefix({ redisUrl: o.redisUrl, prefix });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The limit is raised out of the way, but every request is still counted by the limiter.
const SERVER_ENV = { FACE_ENCODE_RATE_LIMIT: '1000000000' };

/** `keys create` on the engine; returns the key. */
export function createKey(engine: BenchEngine, user: string): string {
  const out = execFileSync(process.execPath, [SERVER_BIN, 'keys', 'create', '--user', user, ...engine.args], {
    env: { ...process.env, ...SERVER_ENV, ...engine.env },
    encoding: 'utf8',
  });
  return out.trim().split('\n').pop() as string;
}

export function startApi(
  engine: BenchEngine,
  o: { auth: 'api-key' | 'demo'; workers: number; nodeArgs?: string[] },
): Promise<ServerProcess> {
  return spawnServer(
    ['start', '--port', '0', '--workers', String(o.workers), '--auth', o.auth, ...engine.args],
    { ...SERVER_ENV, ...engine.env },
    'listening',
  );
}

export interface Row {
  target: string;
  /** The process answering, whose CPU time per request is measured. */
  pid: number;
  run: Omit<WrkRun, 'connections' | 'seconds'>;
}

export interface Measured {
  target: string;
  result: WrkResult;
  /** The answering process's CPU time (user + system) per request, in µs: less sensitive to a shared machine. */
  cpuUs: number;
  load: string;
}

/** A short warm-up (JIT, statement caches, connections), then the measured run. */
export async function measure(row: Row, seconds: number): Promise<Measured> {
  await runWrk({ ...row.run, connections: CONNECTIONS, seconds: 2 });
  const load = loadAverage();
  const cpu = cpuMs(row.pid);
  const result = await runWrk({ ...row.run, connections: CONNECTIONS, seconds });
  return { target: row.target, result, load, cpuUs: ((cpuMs(row.pid) - cpu) * 1000) / result.requests };
}

/** CPU time (user + system) of a process so far, in ms, from /proc (NaN elsewhere). */
function cpuMs(pid: number): number {
  try {
    // utime and stime: fields 14 and 15, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

const fmt = (v: number) => Math.round(v).toLocaleString('en-US');

/** The table: req/s, ratio against the bare route, p99, max, non-2xx, and the load average. */
export function printTable(rows: Measured[], bare: number): void {
  console.log(
    '| target | req/s | vs bare | p99 | max | non-2xx / errors | CPU per request (bare ÷ it) | load avg (1 5 15 min) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const bareCpu = rows[0]?.cpuUs ?? NaN;
  for (const { target, result: r, load, cpuUs } of rows) {
    console.log(
      `| ${target} | ${fmt(r.rps)} | ${(r.rps / bare).toFixed(2)} | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(0)} ms | ${r.non2xx} / ${r.socketErrors} | ${cpuUs.toFixed(0)} µs (${(bareCpu / cpuUs).toFixed(2)}) | ${load} |`,
    );
  }
  console.log('');
}
