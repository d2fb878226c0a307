// `pnpm bench:cluster`: the scale-out shape against the embedded server, over HTTP, from one run. Throughput with
// 1 and 2 worker processes (cluster) or threads (embedded), upload → done latency, and the design's 100-request
// load test on the cluster. A benchmark, not a test: it prints numbers, it asserts nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchSelfie } from './bench/selfie.js';
import { percentile, runUploadLoad, type UploadLoadResult } from './bench/upload-load.js';
import { startLocalCluster } from './dev/local-cluster.js';
import { radosgwMissing } from './dev/radosgw.js';
import { spawnServer } from './dev/server-process.js';

const quick = process.env.FACE_ENCODE_BENCH_QUICK === '1';
// Several seconds per throughput row: a short run is dominated by scheduling noise on a small VM.
const UPLOADS_PER_THREAD = quick ? 6 : 40;
const LATENCY_RUNS = quick ? 5 : 20;
const LOAD_TEST = { uploads: quick ? 20 : 100, sessionSize: 5, concurrency: 10 };
// More in flight than threads, so no worker ever waits for the next job.
const THROUGHPUT_CONCURRENCY = 8;
// The bench is one user sending hundreds of requests a minute.
const env = { FACE_ENCODE_RATE_LIMIT: '1000000', FACE_ENCODE_LOG_LEVEL: 'info' };

const missing = radosgwMissing();
if (missing) {
  console.log(`Skipped: the cluster needs radosgw (${missing}).`);
  process.exit(0);
}

const ms = (v: number) => `${v.toFixed(0)} ms`;
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(', ');
const loadBefore = load();
const image = await benchSelfie();

interface Row {
  setup: string;
  threads: number;
  result: UploadLoadResult;
}
const throughput: Row[] = [];
const latency: Array<{ setup: string; result: UploadLoadResult }> = [];

/** Warms every thread (first encodes are slower), then the upload → done and throughput rows of one setup. */
async function measure(o: { setup: string; urls: string[]; threads: number; latency: boolean }) {
  await runUploadLoad({
    urls: o.urls,
    image,
    uploads: 4 * o.threads,
    sessionSize: 5,
    concurrency: 2 * o.threads,
  });
  if (o.latency) {
    const result = await runUploadLoad({
      urls: o.urls,
      image,
      uploads: LATENCY_RUNS,
      sessionSize: 5,
      concurrency: 1,
    });
    latency.push({ setup: o.setup, result });
  }
  const result = await runUploadLoad({
    urls: o.urls,
    image,
    uploads: UPLOADS_PER_THREAD * o.threads,
    sessionSize: 5,
    concurrency: THROUGHPUT_CONCURRENCY,
  });
  throughput.push({ setup: o.setup, threads: o.threads, result });
}

for (const threads of [1, 2]) {
  const dataDir = await mkdtemp(join(tmpdir(), 'face-encode-bench-'));
  const server = await spawnServer(
    ['start', '--auth', 'demo', '--port', '0', '--workers', String(threads), '--data-dir', dataDir],
    env,
    'listening',
  );
  try {
    await measure({
      setup: `embedded, 1 process, ${threads} worker thread${threads > 1 ? 's' : ''}`,
      urls: [server.url],
      threads,
      latency: threads === 1,
    });
  } finally {
    await server.kill();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const id = Math.random().toString(36).slice(2, 8);
const cluster = await startLocalCluster({
  apis: 2,
  workers: 1,
  threads: 1,
  apiPort: 0,
  metricsPort: 0,
  databaseUrl: process.env.FACE_ENCODE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  schema: `face_encode_bench_${id}`,
  redisUrl: process.env.FACE_ENCODE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  redisPrefix: `face-encode-bench-${id}`,
  bucket: 'bench',
  env,
});
let loadTest: UploadLoadResult;
try {
  const urls = cluster.apis.map((a) => a.url);
  await measure({ setup: 'cluster, 2 APIs, 1 worker process (1 thread)', urls, threads: 1, latency: true });
  await cluster.addWorker();
  await measure({
    setup: 'cluster, 2 APIs, 2 worker processes (1 thread each)',
    urls,
    threads: 2,
    latency: false,
  });
  loadTest = await runUploadLoad({ urls, image, ...LOAD_TEST });
} finally {
  await cluster.stop();
}
const loadAfter = load();

console.log(`Single-face selfie: 640 px wide JPEG, ${image.length} bytes, uploaded with \`?wait=30\`.`);
console.log(`Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}.\n`);

console.log(
  `### Throughput (uploads → results over HTTP, ${THROUGHPUT_CONCURRENCY} in flight, ${UPLOADS_PER_THREAD} per thread)\n`,
);
console.log('| setup | images/s | vs. 1 thread of the same setup |\n| --- | --- | --- |');
for (const row of throughput) {
  const rate = (r: Row) => r.result.latencies.length / (r.result.wallMs / 1000);
  const base = throughput.find((r) => r.setup.split(',')[0] === row.setup.split(',')[0] && r.threads === 1);
  console.log(
    `| ${row.setup} | ${rate(row).toFixed(2)} | ${base ? `${((rate(row) / rate(base)) * 100).toFixed(0)}%` : ''} |`,
  );
}

console.log(`\n### Upload → done, one upload at a time (${LATENCY_RUNS} runs)\n`);
console.log('| setup | p50 | p95 |\n| --- | --- | --- |');
for (const row of latency)
  console.log(
    `| ${row.setup} | ${ms(percentile(row.result.latencies, 50))} | ${ms(percentile(row.result.latencies, 95))} |`,
  );

const lt = loadTest.latencies;
console.log(
  `\n### Load test: ${LOAD_TEST.uploads} uploads in sessions of ${LOAD_TEST.sessionSize}, ${LOAD_TEST.concurrency} in flight, cluster with 2 APIs and 2 worker processes\n`,
);
console.log('| average | p50 | p95 | max | wall time | images/s |\n| --- | --- | --- | --- | --- | --- |');
console.log(
  `| ${ms(lt.reduce((a, b) => a + b, 0) / lt.length)} | ${ms(percentile(lt, 50))} | ${ms(percentile(lt, 95))} | ${ms(Math.max(...lt))} | ${(loadTest.wallMs / 1000).toFixed(1)} s | ${(lt.length / (loadTest.wallMs / 1000)).toFixed(2)} |`,
);
process.exit(0);
