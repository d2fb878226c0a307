// `pnpm bench:burst`: the issue-12 burst. The built server runs as its own process (`start --auth demo`,
// 2 encoder workers, SQLite, files); 6 client processes × 25 send 150 uploads of a ~6.6 MB JPEG at once,
// while this process samples the server's RSS (VmRSS) every 100 ms and a prober process times
// GET /healthz every 50 ms. Before the in-flight caps the issue saw RSS go from 1.3 GB to 6.3 GB and
// /healthz time out. Prints baseline and peak RSS, /healthz p50/p99/max and the outcome counts.
// A benchmark, not a test: it asserts nothing. Loopback only. FACE_ENCODE_BENCH_BURST_CLIENTS and
// FACE_ENCODE_BENCH_BURST_UPLOADS (per client) change the shape.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadAverage } from './bench/api-load.js';
import {
  runBurstClient,
  runHealthProbe,
  type ClientReport,
  type UploadOutcome,
} from './bench/burst-roles.js';
import { spawnServer } from './dev/server-process.js';

const [role, ...args] = process.argv.slice(2);
if (role === '--client') {
  const [url, imagePath, uploads, user] = args as [string, string, string, string];
  await runBurstClient(url, imagePath, Number(uploads), user);
  process.exit(0);
}
if (role === '--probe') {
  await runHealthProbe(args[0] as string);
  process.exit(0);
}

const CLIENTS = Number(process.env.FACE_ENCODE_BENCH_BURST_CLIENTS ?? 6);
const PER_CLIENT = Number(process.env.FACE_ENCODE_BENCH_BURST_UPLOADS ?? 25);
const TARGET_BYTES = 6.6e6;
const RUN_BOUND_MS = 10 * 60_000;
const SELF = fileURLToPath(import.meta.url);
const MB = 2 ** 20;

/** A 4000×3000 noisy JPEG whose quality puts it closest to 6.6 MB: a camera-sized decode. */
async function burstImage(): Promise<Buffer> {
  const raw = sharp(randomBytes(4000 * 3000 * 3), { raw: { width: 4000, height: 3000, channels: 3 } });
  let best: Buffer | null = null;
  for (const quality of [50, 55, 60, 65, 70, 75, 80]) {
    const jpeg = await raw.clone().jpeg({ quality }).toBuffer();
    if (!best || Math.abs(jpeg.length - TARGET_BYTES) < Math.abs(best.length - TARGET_BYTES)) best = jpeg;
  }
  return best as Buffer;
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** The helper's one JSON line (the last line it prints); "ready" lines resolve `ready`. */
function helper(argv: string[]) {
  const child = spawn(process.execPath, [SELF, ...argv], { stdio: ['pipe', 'pipe', 'inherit'] });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise<string>((resolve, reject) => {
    let last = '';
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') onReady();
      else last = line;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(last) : reject(new Error(`${argv[0]} exited ${code}`)),
    );
  });
  return { child, ready, result, say: (line: string) => child.stdin!.write(`${line}\n`) };
}

/** The server's worst event-loop delay (ms) since the last scrape: prom-client resets it on each one. */
async function serverLoopDelayMaxMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^face_encode_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(text)?.[1] ?? NaN) * 1000;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

const dataDir = await mkdtemp(join(tmpdir(), 'face-encode-bench-burst-'));
const children: ChildProcess[] = [];
const bound = setTimeout(() => {
  console.error(`bench:burst: not done in ${RUN_BOUND_MS / 60_000} min; stopping.`);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}, RUN_BOUND_MS);
try {
  const image = await burstImage();
  const imagePath = join(dataDir, 'burst.jpg');
  await writeFile(imagePath, image);
  const server = await spawnServer(
    ['start', '--port', '0', '--workers', '2', '--auth', 'demo', '--data-dir', join(dataDir, 'data')],
    { FACE_ENCODE_RATE_LIMIT: '1000000000' },
    'listening',
  );
  children.push(server.child);
  const pid = server.child.pid as number;
  try {
    const clients = Array.from({ length: CLIENTS }, (_, k) =>
      helper(['--client', server.url, imagePath, String(PER_CLIENT), `burst-${k}`]),
    );
    children.push(...clients.map((c) => c.child));
    await Promise.all(clients.map((c) => c.ready));
    // Baseline: the idle server (models loaded, sessions open), 2 s of samples.
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) {
      idle.push(await rssBytes(pid));
      await new Promise((r) => setTimeout(r, 100));
    }
    const probe = helper(['--probe', server.url]);
    children.push(probe.child);
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await rssBytes(pid).catch(() => 0));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    await serverLoopDelayMaxMs(server.url);
    const loadBefore = loadAverage();
    const started = performance.now();
    for (const c of clients) c.say('go');
    const reports = (await Promise.all(clients.map((c) => c.result))).map(
      (line) => JSON.parse(line) as ClientReport,
    );
    const outcomes: UploadOutcome[] = reports.flatMap((r) => r.outcomes);
    const clientDelayMs = Math.max(...reports.map((r) => r.loopDelayMaxMs));
    const wallMs = performance.now() - started;
    const serverDelayMs = await serverLoopDelayMaxMs(server.url);
    // A second more: memory freed after the last answer still counts until the sampler sees it.
    await new Promise((r) => setTimeout(r, 1000));
    sampling = false;
    await sampler;
    probe.say('stop');
    const { latencies, failures, loopDelayMaxMs } = JSON.parse(await probe.result) as {
      latencies: number[];
      failures: number;
      loopDelayMaxMs: number;
    };
    const loadAfter = loadAverage();
    const sorted = [...latencies].sort((a, b) => a - b);
    const baseline = [...idle].sort((a, b) => a - b)[idle.length >> 1] ?? 0;
    const count = (f: (o: UploadOutcome) => boolean) => outcomes.filter(f).length;
    const others = outcomes.filter((o) => o.status !== 201 && o.status !== 503);
    const slowest201 = Math.max(0, ...outcomes.filter((o) => o.status === 201).map((o) => o.ms));
    console.log(
      `burst: ${outcomes.length} uploads of ${(image.length / 1e6).toFixed(2)} MB from ${CLIENTS} processes, ` +
        `${(wallMs / 1000).toFixed(1)} s to the last answer; load average ${loadBefore} before, ${loadAfter} after; ` +
        `worst event-loop delay: server ${serverDelayMs.toFixed(0)} ms, clients ${clientDelayMs.toFixed(0)} ms, ` +
        `prober ${loopDelayMaxMs.toFixed(0)} ms\n`,
    );
    console.log(
      '| RSS baseline | RSS peak | /healthz p50 | p99 | max | probes (failed) | 201 | 503 + Retry-After | other | slowest 201 |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${(baseline / MB).toFixed(0)} MiB | ${(peak / MB).toFixed(0)} MiB | ${quantile(sorted, 0.5).toFixed(1)} ms | ` +
        `${quantile(sorted, 0.99).toFixed(1)} ms | ${(sorted.at(-1) ?? NaN).toFixed(1)} ms | ${sorted.length} (${failures}) | ` +
        `${count((o) => o.status === 201)} | ${count((o) => o.status === 503 && o.retryAfter !== null)} | ` +
        `${others.length + count((o) => o.status === 503 && o.retryAfter === null)}` +
        `${others.length ? ` (${[...new Set(others.map((o) => o.status))].join(', ')})` : ''} | ` +
        `${(slowest201 / 1000).toFixed(1)} s |`,
    );
    // Every outcome by kind, with the median time to it: a shed upload should be answered at once.
    const kinds = new Map<string, number[]>();
    for (const o of outcomes) {
      const kind =
        o.status === 0 ? `no answer (${o.error})` : `${o.status}${o.retryAfter ? ' + Retry-After' : ''}`;
      kinds.set(kind, [...(kinds.get(kind) ?? []), o.ms]);
    }
    console.log('\n| outcome | uploads | median time to it |\n|---|---|---|');
    for (const [kind, times] of kinds) {
      const median = [...times].sort((a, b) => a - b)[times.length >> 1] ?? NaN;
      console.log(`| ${kind} | ${times.length} | ${(median / 1000).toFixed(1)} s |`);
    }
  } finally {
    await server.kill();
  }
} finally {
  clearTimeout(bound);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
  await rm(dataDir, { recursive: true, force: true });
}
