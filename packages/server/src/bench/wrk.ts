// The API benchmark's load generator: Debian's wrk (C, one thread), so the generator costs the 2-core machine far
// less than the server it measures. Installed with apt-get when missing; a Lua `done` hook prints the figures as
// JSON, and a `response` hook counts 5xx answers separately from the other non-2xx ones.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface WrkRun {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
}

export interface WrkResult {
  requests: number;
  /** Requests per second over the run. */
  rps: number;
  /** Latencies in ms. */
  p50: number;
  p99: number;
  max: number;
  /** Answers that were not 2xx or 3xx, and of those the 5xx ones. */
  non2xx: number;
  status5xx: number;
  /** Connect, read, write and timeout errors. */
  socketErrors: number;
}

/** The wrk binary: on the PATH, else installed from Debian's packages (as root), else an error saying how. */
export function ensureWrk(): string {
  const found = () => spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim();
  let path = found();
  if (path) return path;
  if (process.getuid?.() === 0) {
    spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore' });
    if (!found()) spawnSync('sh', ['-c', 'apt-get update && apt-get install -y wrk'], { stdio: 'ignore' });
    path = found();
  }
  if (!path)
    throw new Error('The API benchmark needs wrk: apt-get install -y wrk (Debian) or brew install wrk.');
  return path;
}

const lua = (o: WrkRun) => `
wrk.method = ${JSON.stringify(o.method ?? 'GET')}
${o.body === undefined ? '' : `wrk.body = ${JSON.stringify(o.body)}`}
${Object.entries(o.headers ?? {})
  .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
  .join('\n')}
local threads = {}
function setup(thread) table.insert(threads, thread) end
fivexx = 0
function response(status, headers, body) if status >= 500 then fivexx = fivexx + 1 end end
function done(summary, latency, requests)
  local f = 0
  for _, t in ipairs(threads) do f = f + t:get("fivexx") end
  local e = summary.errors
  io.write(string.format('WRK-JSON {"requests":%d,"duration":%d,"p50":%d,"p99":%d,"max":%d,"non2xx":%d,"status5xx":%d,"socketErrors":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.status, f, e.connect + e.read + e.write + e.timeout))
end
`;

/** One wrk run (one thread, `connections` keep-alive connections, `seconds` long). */
export async function runWrk(o: WrkRun): Promise<WrkResult> {
  const wrk = ensureWrk();
  const dir = mkdtempSync(join(tmpdir(), 'face-encode-wrk-'));
  try {
    const script = join(dir, 'run.lua');
    writeFileSync(script, lua(o));
    const { stdout: out } = await promisify(execFile)(
      wrk,
      ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '5s', '-s', script, o.url],
      { encoding: 'utf8', maxBuffer: 2 ** 20 },
    );
    const line = out.split('\n').find((l) => l.startsWith('WRK-JSON '));
    if (!line) throw new Error(`wrk printed no figures:\n${out}`);
    const r = JSON.parse(line.slice('WRK-JSON '.length)) as Record<string, number>;
    const us = (v: number | undefined) => (v ?? 0) / 1000;
    return {
      requests: r.requests ?? 0,
      rps: (r.requests ?? 0) / ((r.duration ?? 1) / 1e6),
      p50: us(r.p50),
      p99: us(r.p99),
      max: us(r.max),
      non2xx: r.non2xx ?? 0,
      status5xx: r.status5xx ?? 0,
      socketErrors: r.socketErrors ?? 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
