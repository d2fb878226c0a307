// `pnpm cluster`: the scale-out shape on one machine without Docker. A single-node radosgw, the local PostgreSQL
// and Redis, 2 API processes and 2 worker processes; prints how to reach and rebuild it, stops it all on Ctrl-C.
import { parseArgs } from 'node:util';
import { radosgwMissing } from './dev/radosgw.js';
import { shellCommand, startLocalCluster, type LocalCluster } from './dev/local-cluster.js';

const { values: flags } = parseArgs({
  options: {
    apis: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    port: { type: 'string', default: '3031' },
    'metrics-port': { type: 'string', default: '9464' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    schema: { type: 'string', default: 'face_encode_cluster' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    prefix: { type: 'string', default: 'face-encode-cluster' },
    bucket: { type: 'string', default: 'face-encode' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(`pnpm cluster [flags]: radosgw + PostgreSQL + Redis, N API processes, M worker processes.

  --apis <n>            API processes, start --workers 0 --auth demo (2; 0 with --workers 0: engines only)
  --workers <n>         worker processes (2)
  --threads <n>         encoder threads per worker (1)
  --port <port>         first API port, then +1 each (3031)
  --metrics-port <port> first worker metrics port, then +1 each (9464)
  --database-url <url>  PostgreSQL (postgres://postgres@127.0.0.1:5432/test)
  --schema <name>       the cluster's schema, reset at start and dropped at stop (face_encode_cluster)
  --redis-url <url>     Redis (redis://127.0.0.1:6379)
  --prefix <prefix>     the cluster's Redis key prefix, reset like the schema (face-encode-cluster)
  --bucket <name>       the S3 bucket created in radosgw (face-encode)
  --verbose             every log line of every process (default: warnings and errors)`);
  process.exit(0);
}

const count = (name: string, value: string, min: number) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer of at least ${min}, got "${value}".`);
    process.exit(2);
  }
  return n;
};

const missing = radosgwMissing();
if (missing) {
  console.error(`pnpm cluster needs radosgw: ${missing}`);
  process.exit(2);
}

console.log('Starting radosgw, then the API and worker processes (about 20 s)…');
let cluster: LocalCluster;
let up = false;
try {
  cluster = await startLocalCluster({
    apis: count('apis', flags.apis, 0),
    workers: count('workers', flags.workers, 0),
    threads: count('threads', flags.threads, 1),
    apiPort: count('port', flags.port, 0),
    metricsPort: count('metrics-port', flags['metrics-port'], 0),
    databaseUrl: flags['database-url'],
    schema: flags.schema,
    redisUrl: flags['redis-url'],
    redisPrefix: flags.prefix,
    bucket: flags.bucket,
    onLog(name, entry) {
      // pino levels: 40 warn, 50 error. Info lines (one per request) would drown the URLs printed below, and so
      // would Fastify's start-up warnings about content types it only serializes.
      const level = typeof entry.level === 'number' ? entry.level : 0;
      if (flags.verbose || level >= 50 || (up && level >= 40))
        console.log(`[${name}] ${JSON.stringify(entry)}`);
    },
  });
} catch (error) {
  console.error((error as Error).message);
  console.error('PostgreSQL and Redis must be running: scripts/start-services.sh starts them.');
  process.exit(1);
}

up = true;
const { apis, workers, radosgw, env, engineArgs } = cluster;
// With no processes asked for, the same commands to start them by hand.
const commands =
  cluster.commands.length > 0
    ? cluster.commands
    : [
        ['migrate'],
        ['start', '--auth', 'demo', '--port', flags.port, '--workers', '0', '--no-migrate'],
        ['worker', '--workers', flags.threads, '--metrics-port', flags['metrics-port'], '--no-migrate'],
      ].map((args) => shellCommand([...args, ...engineArgs]));
console.log(`
face-encode cluster on one machine
  API processes:   ${apis.map((a) => a.url).join('  ') || 'none'}   (demo auth: send a user_id header)
  worker metrics:  ${workers.map((w) => `${w.url}/metrics`).join('  ') || 'none'}
  S3 (radosgw):    ${radosgw.endpoint}, bucket ${flags.bucket}, path-style
  PostgreSQL:      ${flags['database-url']}, schema ${flags.schema}
  Redis:           ${flags['redis-url']}, key prefix ${flags.prefix}:

Environment of every process:
${Object.entries(env)
  .map(([k, v]) => `  export ${k}=${v}`)
  .join('\n')}

Commands (from a checkout: node packages/server/dist/bin.js instead of face-encode-server):
${commands.map((c) => `  ${c}`).join('\n')}

${apis[0] ? `Try it:\n  pnpm face-encode encode <selfie.jpg> --url ${apis[0].url} --user-id me\n` : ''}
Ctrl-C stops everything. radosgw keeps its objects in memory, so the schema and the prefix go too.`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the processes, radosgw, the schema and the Redis keys…`);
  cluster.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
// A process that dies on its own takes the cluster with it, rather than leaving half of it up.
for (const [name, p] of [
  ...apis.map((a, i) => [`api-${i + 1}`, a] as const),
  ...workers.map((w, i) => [`worker-${i + 1}`, w] as const),
]) {
  void p.exited.then((code) => {
    if (!stopping) {
      console.error(`${name} exited (${code}).`);
      stop('exit');
    }
  });
}
