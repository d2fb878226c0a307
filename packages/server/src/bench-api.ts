// `pnpm bench:api`: the API hot path against a bare Fastify 5 route, in one run, with the same load generator (wrk,
// one thread, 32 connections): one server process (`--workers 0`, rate limit raised out of the way) on SQLite,
// then on PostgreSQL + Redis; then a sustained run with 2 encoder workers busy. Two more rows put the server's
// own HTTP shell (createHttpApp) around the bare route, at `info` and `warn`: the floor of every API row.
// A benchmark: it asserts nothing.
// FACE_ENCODE_BENCH_API_SECONDS sets each row's length (default 10; quick mode 3); FACE_ENCODE_BENCH_API_ONLY
// picks `sqlite`, `postgres` or `sustained` alone.
import { benchSelfie } from './bench/selfie.js';
import {
  CONNECTIONS,
  createKey,
  loadAverage,
  measure,
  newSession,
  postgresEngine,
  printTable,
  serveBare,
  sqliteEngine,
  startApi,
  startBare,
  type BareKind,
  type BenchEngine,
  type Measured,
  type Row,
} from './bench/api-load.js';
import { ensureWrk, runWrk } from './bench/wrk.js';

const quick = process.env.FACE_ENCODE_BENCH_QUICK === '1';
const seconds = Number(process.env.FACE_ENCODE_BENCH_API_SECONDS ?? (quick ? 3 : 10));
const sustainedSeconds = quick ? 10 : 60;
const only = process.env.FACE_ENCODE_BENCH_API_ONLY ?? '';
const databaseUrl = process.env.FACE_ENCODE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.FACE_ENCODE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Answering = { url: string; pid: number };

async function table(
  engine: BenchEngine,
  bareServer: Answering,
  shells: Record<'info' | 'warn', Answering>,
): Promise<void> {
  const key = createKey(engine, 'bench');
  const api = await startApi(engine, { auth: 'api-key', workers: 0 });
  const demo = await startApi(engine, { auth: 'demo', workers: 0 });
  try {
    const auth = { authorization: `Bearer ${key}` };
    const apiPid = api.child.pid as number;
    const demoPid = demo.child.pid as number;
    const user = { user_id: 'bench-demo' };
    // A full first page for GET /v1/sessions (20 by default).
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) ids.push(await newSession(api.url, auth));
    const demoId = await newSession(demo.url, user);
    const rows: Row[] = [
      {
        target:
          "the server's HTTP shell (createHttpApp, demo auth) on the bare route, one `info` line per request",
        pid: shells.info.pid,
        run: { url: shells.info.url, headers: user },
      },
      {
        target: 'the same shell logging at `warn` (no line per request)',
        pid: shells.warn.pid,
        run: { url: shells.warn.url, headers: user },
      },
      { target: '`GET /healthz`', pid: apiPid, run: { url: `${api.url}/healthz` } },
      {
        target: '`GET /v1/session/{id}` (api-key)',
        pid: apiPid,
        run: { url: `${api.url}/v1/session/${ids[0]}`, headers: auth },
      },
      {
        target: '`GET /v1/sessions` (api-key, 20 items)',
        pid: apiPid,
        run: { url: `${api.url}/v1/sessions`, headers: auth },
      },
      {
        target: '`POST /v1/session` (api-key, body `{}`)',
        pid: apiPid,
        run: {
          url: `${api.url}/v1/session`,
          method: 'POST',
          body: '{}',
          headers: { ...auth, 'content-type': 'application/json' },
        },
      },
      {
        target: '`GET /v1/session/{id}` (demo auth)',
        pid: demoPid,
        run: { url: `${demo.url}/v1/session/${demoId}`, headers: user },
      },
      {
        target: 'unknown path → 404 (demo auth)',
        pid: demoPid,
        run: { url: `${demo.url}/v1/nothing-here`, headers: user },
      },
    ];
    const bareRow: Row = {
      target: 'bare Fastify 5 route returning a small JSON object',
      pid: bareServer.pid,
      run: { url: bareServer.url },
    };
    const bareBefore = await measure(bareRow, seconds);
    const measured: Measured[] = [bareBefore];
    for (const row of rows) measured.push(await measure(row, seconds));
    const bareAfter = await measure(bareRow, seconds);
    // Against the mean of the bare route before and after: the machine is shared, its load drifts.
    const bare = (bareBefore.result.rps + bareAfter.result.rps) / 2;
    console.log(
      `### ${engine.name}: one API process, ${seconds} s per row, 32 connections (bare route ${Math.round(bareBefore.result.rps)} req/s before, ${Math.round(bareAfter.result.rps)} after)\n`,
    );
    printTable([...measured, { ...bareAfter, target: 'bare route again (after)' }], bare);
  } finally {
    await api.kill();
    await demo.kill();
  }
}

/** 60 s at capacity (32 connections, closed loop) on the summary while 2 workers encode uploads meanwhile. */
async function sustained(): Promise<void> {
  const engine = sqliteEngine();
  const image = await benchSelfie();
  const key = createKey(engine, 'bench');
  const api = await startApi(engine, { auth: 'api-key', workers: 2 });
  const auth = { authorization: `Bearer ${key}` };
  const upload = async (session: string, wait: number) => {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(image)]), 'selfie.jpg');
    const res = await fetch(`${api.url}/v1/image/${session}?wait=${wait}`, {
      method: 'POST',
      headers: auth,
      body: form,
    });
    await res.arrayBuffer();
    return res.status;
  };
  try {
    // The summary read is a real one: five encoded faces, ten distances.
    const target = await newSession(api.url, auth);
    for (let i = 0; i < 5; i++) await upload(target, 30);
    let running = true;
    let uploads = 0;
    let uploadErrors = 0;
    // Four uploads in flight keep both encoder threads busy the whole run.
    const uploader = async () => {
      while (running) {
        const session = await newSession(api.url, auth);
        for (let i = 0; i < 5 && running; i++) {
          const status = await upload(session, 30);
          if (status === 201) uploads++;
          else uploadErrors++;
        }
      }
    };
    const uploaders = Array.from({ length: 4 }, uploader);
    await new Promise((r) => setTimeout(r, 3_000));
    const load = loadAverage();
    const r = await runWrk({
      url: `${api.url}/v1/session/${target}`,
      headers: auth,
      connections: CONNECTIONS,
      seconds: sustainedSeconds,
    });
    running = false;
    await Promise.all(uploaders);
    console.log(
      `### Sustained: ${sustainedSeconds} s of \`GET /v1/session/{id}\` (api-key, 5 encoded images) at capacity, 2 encoder workers busy\n`,
    );
    console.log(
      '| req/s | p50 | p99 | max | 5xx | non-2xx / errors | uploads encoded meanwhile | load avg |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    console.log(
      `| ${Math.round(r.rps).toLocaleString('en-US')} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(0)} ms | ${r.status5xx} | ${r.non2xx} / ${r.socketErrors} | ${uploads} (${uploadErrors} failed) | ${load} |\n`,
    );
  } finally {
    await api.kill();
    await engine.cleanup();
  }
}

const bareAt = process.argv.indexOf('--bare');
if (bareAt >= 0) {
  await serveBare((process.argv[bareAt + 1] ?? 'bare') as BareKind);
} else {
  ensureWrk();
  const bare = await startBare('bare');
  const shells = { info: await startBare('shell'), warn: await startBare('shell-quiet') };
  try {
    if (!only || only === 'sqlite') {
      const engine = sqliteEngine();
      await table(engine, bare, shells).finally(() => engine.cleanup());
    }
    if (!only || only === 'postgres') {
      const engine = await postgresEngine({ databaseUrl, redisUrl });
      await table(engine, bare, shells).finally(() => engine.cleanup());
    }
  } finally {
    for (const server of [bare, shells.info, shells.warn]) server.stop();
  }
  if (!only || only === 'sustained') await sustained();
  process.exit(0);
}
