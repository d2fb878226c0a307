// `pnpm bench`: encode latency per stage, throughput by worker count, upload→done latency, and API
// latency under full encode load. A benchmark, not a test: it prints numbers, it asserts nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { benchPortrait, benchSelfie, SAMPLE_DIR, sharedPortrait } from './bench/selfie.js';
import { FaceApiEncoder, type FaceApiEncoderOptions, type FaceDetector } from './encoder/faceapi-encoder.js';
import { WorkerPool } from './pipeline/worker-pool.js';
import { startServer } from './server.js';

const cores = availableParallelism();
const quick = process.env.FACE_ENCODE_BENCH_QUICK === '1';
const runs = quick ? 5 : 20;
/** FACE_ENCODE_BENCH_SECTIONS: a comma-separated subset of stages,interleaved,throughput,e2e,api; default all. */
const sections = process.env.FACE_ENCODE_BENCH_SECTIONS?.split(',');
const section = (name: string) => !sections || sections.includes(name);
/**
 * FACE_ENCODE_BENCH_BASELINE: another build's dist/ folder (e.g. main's, copied aside) whose server is the
 * "before" row of upload → done, measured interleaved with this build's so machine load hits both alike.
 */
const baselineDir = process.env.FACE_ENCODE_BENCH_BASELINE;
const baselineServer = baselineDir
  ? ((await import(join(baselineDir, 'index.js'))) as { startServer: typeof startServer }).startServer
  : undefined;

/**
 * FACE_ENCODE_BENCH_BASELINE_ENCODER: a module exporting another build's FaceApiEncoder (e.g. main's
 * src/encoder/faceapi-encoder.ts bundled aside), a row of the interleaved selfie and portraits table.
 */
const baselineEncoder = process.env.FACE_ENCODE_BENCH_BASELINE_ENCODER
  ? (
      (await import(process.env.FACE_ENCODE_BENCH_BASELINE_ENCODER)) as {
        FaceApiEncoder: new () => Pick<FaceApiEncoder, 'encode'>;
      }
    ).FaceApiEncoder
  : undefined;

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
  start: typeof startServer = startServer,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-bench-'));
  const server = await start(
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
const portrait = await benchPortrait();
const onePerson = await sharedPortrait();
console.log(
  `Single-face selfie: 640 px wide JPEG, ${image.length} bytes; portrait: 768×1154 JPEG, face 18% of the ` +
    `long side, ${portrait.length} bytes. ${runs} runs per row. Load average ${load()}.\n`,
);

if (section('stages')) {
  console.log('### Encode latency per stage, one thread (p50 / p95)\n');
  console.log(
    '| input, detector | decode | detect | landmarks | encode | total |\n| --- | --- | --- | --- | --- | --- |',
  );
  await stageLatency(image, 'selfie, ssd_mobilenetv1 (default: quick 320 pass)', {});
  await stageLatency(image, 'selfie, ssd_mobilenetv1, full 512 pass only', { closeUpInputSize: 0 });
  await stageLatency(image, 'selfie, tiny_face_detector (416)', { detector: 'tiny_face_detector' });
  await stageLatency(portrait, 'portrait 768×1154 (face 18%, 2nd face cut by the edge), default', {});
  if (onePerson)
    await stageLatency(onePerson, 'portrait, one person (../shared biden1, 508×1154), default', {});
  const group = readFileSync(join(SAMPLE_DIR, 'sample1.jpg'));
  await stageLatency(group, 'sample1.jpg (3 small faces), ssd_mobilenetv1 (both passes)', {});
}

if (section('interleaved')) await interleaved();

if (section('throughput')) {
  console.log('\n### Throughput by worker threads (ssd_mobilenetv1)\n');
  console.log('| workers | images/s | vs. linear |\n| --- | --- | --- |');
  let single = 0;
  for (let w = 1; w <= cores; w++) {
    const rate = await throughput(image, w);
    if (w === 1) single = rate;
    console.log(`| ${w} | ${rate.toFixed(2)} | ${((rate / (single * w)) * 100).toFixed(0)}% |`);
  }
}

if (section('e2e')) {
  console.log(`\n### Upload → done, end to end over HTTP (1 worker, \`?wait=30\`), load average ${load()}\n`);
  console.log('| server, detector | p50 | p95 |\n| --- | --- | --- |');
  const e2eRows: Array<[string, typeof startServer, FaceDetector]> = [
    ['this build, ssd_mobilenetv1', startServer, 'ssd_mobilenetv1'],
    ['this build, tiny_face_detector', startServer, 'tiny_face_detector'],
  ];
  if (baselineServer) e2eRows.splice(1, 0, ['baseline, ssd_mobilenetv1', baselineServer, 'ssd_mobilenetv1']);
  const e2e = await uploadToDone(e2eRows);
  for (const [label] of e2eRows) {
    const times = e2e.get(label) ?? [];
    console.log(`| ${label} | ${ms(pct(times, 50))} | ${ms(pct(times, 95))} |`);
  }
}

if (section('api')) {
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
}

process.exit(0);

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/**
 * Whole-encode latency of the selfie and the portraits with the default passes and with the rule before
 * (an unsure candidate next to the one sure face runs the full pass), interleaved: each run encodes every image
 * with each in turn. Then each image's p50 over the selfie's.
 */
async function interleaved(): Promise<void> {
  const encoders: Array<[string, Pick<FaceApiEncoder, 'encode'>]> = [
    ['default', new FaceApiEncoder()],
    ['before: full pass for unsure candidates', new FaceApiEncoder({ recheckInputSize: 0 })],
    [
      'before: 160-px recheck of a 2.5× crop',
      new FaceApiEncoder({ recheckInputSize: 160, recheckCrop: 2.5 }),
    ],
  ];
  if (baselineEncoder) encoders.push(['baseline build', new baselineEncoder()]);
  const images: Array<[string, Buffer]> = [
    ['selfie', image],
    ['portrait, 2 faces', portrait],
  ];
  if (onePerson) images.push(['portrait, one person', onePerson]);
  const times = new Map<string, number[]>();
  // CPU time of the process (this thread and libvips's), steadier than wall time on a busy machine.
  const cpu = new Map<string, number[]>();
  for (const [, e] of encoders) for (const [, img] of images) await e.encode(img); // warm-up
  const n = quick ? 5 : 30;
  for (let r = 0; r < n; r++) {
    for (const [imageName, img] of images) {
      for (const [name, e] of encoders) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await e.encode(img);
        const c = process.cpuUsage(c0);
        const key = `${name}\u0000${imageName}`;
        times.set(key, [...(times.get(key) ?? []), performance.now() - t0]);
        cpu.set(key, [...(cpu.get(key) ?? []), (c.user + c.system) / 1000]);
      }
    }
  }
  console.log(`\n### Selfie and portraits, whole encode, ${n} interleaved runs (load average ${load()})\n`);
  console.log(
    `| passes | ${images.map(([i]) => `${i} p50 / p95`).join(' | ')} | ${images
      .slice(1)
      .map(([i]) => `${i} ÷ selfie`)
      .join(' | ')} |\n| --- |${images.map(() => ' --- |').join('')}${images
      .slice(1)
      .map(() => ' --- |')
      .join('')}`,
  );
  for (const [label, source] of [
    ['wall', times],
    ['CPU', cpu],
  ] as const) {
    for (const [name] of encoders) {
      const v = images.map(([i]) => source.get(`${name}\u0000${i}`) ?? []);
      const selfie = pct(v[0] ?? [], 50);
      console.log(
        `| ${name}, ${label} | ${v.map((t) => `${ms(pct(t, 50))} / ${ms(pct(t, 95))}`).join(' | ')} | ${v
          .slice(1)
          .map((t) => `${(pct(t, 50) / selfie).toFixed(2)}×`)
          .join(' | ')} |`,
      );
    }
  }
}

/** Upload → done of the selfie on one server per row, all started at once and measured in turn. */
async function uploadToDone(
  rows: Array<[string, typeof startServer, FaceDetector]>,
): Promise<Map<string, number[]>> {
  const times = new Map<string, number[]>();
  const go = async (i: number, urls: string[]): Promise<void> => {
    if (i < rows.length) {
      const [, start, detector] = rows[i] as [string, typeof startServer, FaceDetector];
      return withServer(1, (url) => go(i + 1, [...urls, url]), detector, start);
    }
    for (let r = -2; r < runs; r++) {
      for (const [j, url] of urls.entries()) {
        const session = await newSession(url);
        const started = performance.now();
        const res = await upload(url, session, image, 30);
        const body = (await res.json()) as { status: string; faces: unknown[] };
        if (body.status !== 'done' || body.faces.length !== 1) throw new Error(`image ended ${body.status}`);
        // The first two rounds warm each server up.
        if (r >= 0) {
          const label = rows[j]?.[0] ?? '';
          times.set(label, [...(times.get(label) ?? []), performance.now() - started]);
        }
      }
    }
  };
  await go(0, []);
  return times;
}
