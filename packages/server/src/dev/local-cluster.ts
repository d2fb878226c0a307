// The scale-out shape on one machine: a single-node radosgw, the local PostgreSQL (a schema of its own) and Redis
// (a key prefix of its own), N API processes and M worker processes. `pnpm cluster` and the cluster benchmark
// start it; docs/scaling.md describes the shape.
import { startRadosgw, type Radosgw } from './radosgw.js';
import { deleteRedisPrefix, resetSchema, schemaUrl } from './scratch-engines.js';
import { spawnServer, type ServerProcess } from './server-process.js';

export interface LocalClusterOptions {
  /** API processes (`start --workers 0`); 0 with 0 workers sets up only the engines, for starting by hand. */
  apis: number;
  /** Worker processes (`worker`) started with the cluster; addWorker starts more. */
  workers: number;
  /** Encoder threads per worker process. */
  threads: number;
  /** The first API's port, the next ones count up; 0 picks free ports. */
  apiPort: number;
  /** The first worker's metrics port, the next ones count up; 0 picks free ports. */
  metricsPort: number;
  /** The PostgreSQL server and database; the cluster's tables live in `schema`. */
  databaseUrl: string;
  /** Dropped and created empty at start, dropped at stop. */
  schema: string;
  redisUrl: string;
  /** Every Redis key of the cluster starts with `<prefix>:`; deleted at start and at stop. */
  redisPrefix: string;
  bucket: string;
  /** More FACE_ENCODE_* settings for every process (e.g. the rate limit). */
  env?: Record<string, string>;
  /** Each JSON log line of each process; `name` is `api-1`, `worker-2`, … */
  onLog?: (name: string, entry: Record<string, unknown>) => void;
}

export interface LocalCluster {
  apis: ServerProcess[];
  workers: ServerProcess[];
  radosgw: Radosgw;
  /** The environment every process runs with (credentials, Redis prefix, options.env). */
  env: Record<string, string>;
  /** The engine flags every process gets (--database-url … --s3-force-path-style). */
  engineArgs: string[];
  /** One command line per process started, to run the same cluster by hand. */
  commands: string[];
  /** Starts one more worker process. */
  addWorker(): Promise<ServerProcess>;
  /** SIGTERM to every process (bounded by their own 10 s drain), then radosgw, the schema and the keys. */
  stop(): Promise<void>;
}

export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  const databaseUrl = schemaUrl(o.databaseUrl, o.schema);
  const scratch = async (recreate: boolean) => {
    await resetSchema({ databaseUrl: o.databaseUrl, schema: o.schema, recreate });
    await deleteRedisPrefix({ redisUrl: o.redisUrl, prefix: o.redisPrefix });
  };
  await scratch(true);
  const radosgw = await startRadosgw().catch(async (error: unknown) => {
    await scratch(false).catch(() => {});
    throw error;
  });
  const processes: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await radosgw.stop();
    await scratch(false);
  };
  try {
    await radosgw.createBucket(o.bucket);
    const env: Record<string, string> = {
      AWS_ACCESS_KEY_ID: radosgw.accessKeyId,
      AWS_SECRET_ACCESS_KEY: radosgw.secretAccessKey,
      AWS_REGION: radosgw.region,
      FACE_ENCODE_REDIS_PREFIX: o.redisPrefix,
      ...o.env,
    };
    const engineArgs = [
      '--database-url',
      databaseUrl,
      '--redis-url',
      o.redisUrl,
      '--blob-url',
      `s3://${o.bucket}/blobs`,
      '--s3-endpoint',
      radosgw.endpoint,
      '--s3-force-path-style',
    ];
    const commands: string[] = [];
    const launch = async (name: string, args: string[], ready: 'listening' | 'workers running') => {
      commands.push(shellCommand(args));
      const child = await spawnServer(args, env, ready, (entry) => o.onLog?.(name, entry));
      processes.push(child);
      return child;
    };
    const nextPort = (first: number, index: number) => (first === 0 ? 0 : first + index);

    // The APIs migrate at start; two at once is safe (migrations take a lock), and the workers find the tables.
    const apis = await Promise.all(
      Array.from({ length: o.apis }, (_, i) =>
        launch(
          `api-${i + 1}`,
          [
            'start',
            '--auth',
            'demo',
            '--port',
            String(nextPort(o.apiPort, i)),
            '--workers',
            '0',
            ...engineArgs,
          ],
          'listening',
        ),
      ),
    );
    const workers: ServerProcess[] = [];
    const addWorker = async () => {
      const i = workers.length;
      const args = [
        'worker',
        '--workers',
        String(o.threads),
        '--metrics-port',
        String(nextPort(o.metricsPort, i)),
      ];
      const worker = await launch(`worker-${i + 1}`, [...args, ...engineArgs], 'workers running');
      workers.push(worker);
      return worker;
    };
    for (let i = 0; i < o.workers; i++) await addWorker();
    return { apis, workers, radosgw, env, engineArgs, commands, addWorker, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

/** `face-encode-server <args>` as a shell line, quoted where needed (the database URL holds a space). */
export function shellCommand(args: string[]): string {
  return ['face-encode-server', ...args].map(shellQuote).join(' ');
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
