// `pnpm bench`: encode latency per stage, throughput by worker count, upload→done latency, and API
// latency under full encode load. A benchmark, not a test: it prints numbers, it asserts nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { benchSelfie, SAMPLE_DIR } from './bench/selfie.js';
import { FaceApiEncoder, type FaceApiEncoderOptions, type FaceDetector } from './encoder/faceapi-encoder.js';
import { WorkerPool } from './pipeline/worker-pool.js';
import { startServer } from './server.js';

const cores = availableParallelism();
const quick = process.env.FACE_ENCODE_BENCH_QUICK === '1';
const runs = quick ? 5 : 20;

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const ms = (v: number) => `${v.toFixed(0)} ms`;

async function stageLatency(image: Buffer, label: string, options: FaceApiEncoderOptions) {
  const encoder = new FaceApiEncoder(options);
  await encoder.init();
  const t = {
    decode: [] as number[],
    detect: [] as number[],
    landmarks: [] as number[],
    encode: [] as number[],
    total: [] as number[],
  };
  for (let i = 0; i < runs; i++) {
    const r = await encoder.encode(image);
    t.decode.push(r.timings.decode_ms);
    t.detect.push(r.timings.detect_ms);
    t.landmarks.push(r.timings.landmarks_ms);
    t.encode.push(r.timings.encode_ms);
    t.total.push(r.timings.decode_ms + r.timings.detect_ms + r.timings.landmarks_ms + r.timings.encode_ms);
  }
  console.log(
    `| ${label} | ${(['decode', 'detect', 'landmarks', 'encode', 'total'] as const).map((k) => `${ms(pct(t[k], 50))} / ${ms(pct(t[k], 95))}`).join(' | ')} |`,
  );
}

async function throughput(image: Buffer, workers: number): Promise<number> {
  const pool = new WorkerPool({ size: workers });
  await pool.start();
  await Promise.all(Array.from({ length: 2 * workers }, () => pool.encode(image))); // warm every thread
  // Several seconds per row: a short run is dominated by scheduling noise on a small VM.
  const n = (quick ? 3 : 40) * workers;
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, () => pool.encode(image)));
  const rate = n / ((performance.now() - started) / 1000);
  await pool.close();
  return rate;
}

async function withServer<T>(
  workers: number,
  f: (url: string) => Promise<T>,
  detector: FaceDetector = 'ssd_mobilenetv1',
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-bench-'));
  const server = await startServer(
    { auth: 'demo', port: 0, workers, dataDir, cleanupIntervalMs: 0, rateLimitMax: 1_000_000, detector },
    { logger: pino({ level: 'silent' }) },
  );
  try {
    return await f(server.url);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const headers = { user_id: 'bench' };
async function newSession(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/session`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await res.json()) as { session_id: string }).session_id;
}
function upload(url: string, sessionId: string, image: Buffer, wait: number) {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(image)]), 'selfie.jpg');
  return fetch(`${url}/v1/image/${sessionId}?wait=${wait}`, { method: 'POST', headers, body: form });
}

const image = await benchSelfie();
console.log(`Single-face selfie: 640 px wide JPEG, ${image.length} bytes. ${runs} runs per row.\n`);

console.log('### Encode latency per stage, one thread (p50 / p95)\n');
console.log(
  '| input, detector | decode | detect | landmarks | encode | total |\n| --- | --- | --- | --- | --- | --- |',
);
await stageLatency(image, 'selfie, ssd_mobilenetv1 (default: quick 320 pass)', {});
await stageLatency(image, 'selfie, ssd_mobilenetv1, full 512 pass only', { closeUpInputSize: 0 });
await stageLatency(image, 'selfie, tiny_face_detector (416)', { detector: 'tiny_face_detector' });
const group = readFileSync(join(SAMPLE_DIR, 'sample1.jpg'));
await stageLatency(group, 'sample1.jpg (3 small faces), ssd_mobilenetv1 (both passes)', {});

console.log('\n### Throughput by worker threads (ssd_mobilenetv1)\n');
console.log('| workers | images/s | vs. linear |\n| --- | --- | --- |');
let single = 0;
for (let w = 1; w <= cores; w++) {
  const rate = await throughput(image, w);
  if (w === 1) single = rate;
  console.log(`| ${w} | ${rate.toFixed(2)} | ${((rate / (single * w)) * 100).toFixed(0)}% |`);
}

console.log('\n### Upload → done, end to end over HTTP (1 worker, `?wait=30`)\n');
console.log('| detector | p50 | p95 |\n| --- | --- | --- |');
for (const detector of ['ssd_mobilenetv1', 'tiny_face_detector'] as const) {
  const e2e = await withServer(
    1,
    async (url) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const session = await newSession(url);
        const started = performance.now();
        const res = await upload(url, session, image, 30);
        const body = (await res.json()) as { status: string; faces: unknown[] };
        if (body.status !== 'done' || body.faces.length !== 1) throw new Error(`image ended ${body.status}`);
        times.push(performance.now() - started);
      }
      return times;
    },
    detector,
  );
  console.log(`| ${detector} | ${ms(pct(e2e, 50))} | ${ms(pct(e2e, 95))} |`);
}

console.log(`\n### API latency while ${cores} workers are saturated\n`);
const api = await withServer(cores, async (url) => {
  // Keep the encoders busy for the whole measurement.
  const backlog = quick ? 10 : 40;
  for (let i = 0; i < backlog; i += 5) {
    const s = await newSession(url);
    await Promise.all(Array.from({ length: 5 }, () => upload(url, s, image, 0)));
  }
  const target = await newSession(url);
  const create: number[] = [];
  const summary: number[] = [];
  for (let i = 0; i < (quick ? 50 : 300); i++) {
    let t = performance.now();
    await newSession(url);
    create.push(performance.now() - t);
    t = performance.now();
    await (await fetch(`${url}/v1/session/${target}`, { headers })).arrayBuffer();
    summary.push(performance.now() - t);
  }
  return { create, summary };
});
console.log('| call | p50 | p99 |\n| --- | --- | --- |');
console.log(
  `| POST /v1/session | ${pct(api.create, 50).toFixed(1)} ms | ${pct(api.create, 99).toFixed(1)} ms |`,
);
console.log(
  `| GET /v1/session/{id} | ${pct(api.summary, 50).toFixed(1)} ms | ${pct(api.summary, 99).toFixed(1)} ms |`,
);
process.exit(0);
