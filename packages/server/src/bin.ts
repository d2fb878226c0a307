#!/usr/bin/env node
// face-encode-server: the entry point. Environment variables are read here and nowhere else.
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { pino, type Logger } from 'pino';
import { createApiKey, revokeApiKey } from './auth/api-keys.js';
import { runCleanup } from './cleanup/run-cleanup.js';
import { DEFAULT_CONFIG, resolveConfig, type ServerConfig } from './config.js';
import { ENCODER_DEFAULTS, startEncoderServer } from './encoder-server.js';
import { Pipeline } from './pipeline/pipeline.js';
import { EngineConfigError, openEngines, type Engines } from './engines.js';
import { parseMasterKey } from './collections/template-crypto.js';
import { createMetrics } from './http/metrics.js';
import { serveMetrics } from './http/metrics-server.js';
import { startServer } from './server.js';

const env = process.env;
const envBool = (v: string | undefined) => (v === undefined ? undefined : /^(1|true|yes|on)$/i.test(v));
const int = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`Expected a non-negative number, got "${v}".`);
  return n;
};

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

interface StartFlags {
  host: string;
  port: number;
  dataDir: string;
  auth: ServerConfig['auth'];
  maxFileMb: number;
  workers: number;
  keepImages?: boolean;
  insecureDemoAuth?: boolean;
  corsOrigin?: string[];
  detector: ServerConfig['detector'];
  threshold: number;
  jwksUrl?: string;
  jwtSecret?: string;
  jwtMaxAge?: string;
  webhookAllowPrivate?: boolean;
  logLevel: string;
  encoder: ServerConfig['encoder'];
  remoteEncoderUrl: string;
  /** The old name of --remote-encoder-url. */
  remoteUrl: string;
  databaseUrl: string;
  migrate: boolean;
  redisUrl: string;
  blobUrl: string;
  s3Endpoint: string;
  s3Region: string;
  s3ForcePathStyle: boolean;
  metricsPort: number;
}

function configFrom(flags: Partial<StartFlags>): ServerConfig {
  return resolveConfig({
    host: flags.host ?? env.FACE_ENCODE_HOST ?? DEFAULT_CONFIG.host,
    port: flags.port ?? (env.FACE_ENCODE_PORT ? int(env.FACE_ENCODE_PORT) : DEFAULT_CONFIG.port),
    dataDir: flags.dataDir ?? env.FACE_ENCODE_DATA_DIR ?? DEFAULT_CONFIG.dataDir,
    auth: flags.auth ?? (env.FACE_ENCODE_AUTH as ServerConfig['auth'] | undefined) ?? DEFAULT_CONFIG.auth,
    maxFileMb:
      flags.maxFileMb ??
      (env.FACE_ENCODE_MAX_FILE_MB ? int(env.FACE_ENCODE_MAX_FILE_MB) : DEFAULT_CONFIG.maxFileMb),
    workers:
      flags.workers ?? (env.FACE_ENCODE_WORKERS ? int(env.FACE_ENCODE_WORKERS) : DEFAULT_CONFIG.workers),
    keepImages: flags.keepImages ?? envBool(env.FACE_ENCODE_KEEP_IMAGES) ?? false,
    insecureDemoAuth: flags.insecureDemoAuth ?? false,
    corsOrigins:
      flags.corsOrigin ??
      (env.FACE_ENCODE_CORS_ORIGINS ? env.FACE_ENCODE_CORS_ORIGINS.split(',').map((s) => s.trim()) : []),
    detector:
      flags.detector ??
      (env.FACE_ENCODE_DETECTOR as ServerConfig['detector'] | undefined) ??
      DEFAULT_CONFIG.detector,
    threshold:
      flags.threshold ??
      (env.FACE_ENCODE_THRESHOLD ? Number(env.FACE_ENCODE_THRESHOLD) : DEFAULT_CONFIG.threshold),
    jwksUrl: flags.jwksUrl ?? env.FACE_ENCODE_JWKS_URL ?? null,
    jwtSecret: flags.jwtSecret ?? env.FACE_ENCODE_JWT_SECRET ?? null,
    jwtIssuer: env.FACE_ENCODE_JWT_ISSUER ?? null,
    jwtAudience: env.FACE_ENCODE_JWT_AUDIENCE ?? null,
    jwtMaxAgeSeconds:
      flags.jwtMaxAge !== undefined
        ? int(flags.jwtMaxAge)
        : env.FACE_ENCODE_JWT_MAX_AGE
          ? int(env.FACE_ENCODE_JWT_MAX_AGE)
          : DEFAULT_CONFIG.jwtMaxAgeSeconds,
    webhookAllowPrivate: flags.webhookAllowPrivate ?? envBool(env.FACE_ENCODE_WEBHOOK_ALLOW_PRIVATE) ?? false,
    rateLimitMax: env.FACE_ENCODE_RATE_LIMIT ? int(env.FACE_ENCODE_RATE_LIMIT) : DEFAULT_CONFIG.rateLimitMax,
    authFailureMax: env.FACE_ENCODE_AUTH_FAILURE_LIMIT
      ? int(env.FACE_ENCODE_AUTH_FAILURE_LIMIT)
      : DEFAULT_CONFIG.authFailureMax,
    apiKeyCacheTtlMs: env.FACE_ENCODE_API_KEY_CACHE_TTL_MS
      ? int(env.FACE_ENCODE_API_KEY_CACHE_TTL_MS)
      : DEFAULT_CONFIG.apiKeyCacheTtlMs,
    uploadBufferMb: env.FACE_ENCODE_UPLOAD_BUFFER_MB
      ? int(env.FACE_ENCODE_UPLOAD_BUFFER_MB)
      : DEFAULT_CONFIG.uploadBufferMb,
    minFreeDiskMb: env.FACE_ENCODE_MIN_FREE_DISK_MB
      ? int(env.FACE_ENCODE_MIN_FREE_DISK_MB)
      : DEFAULT_CONFIG.minFreeDiskMb,
    diskReserveMb: env.FACE_ENCODE_DISK_RESERVE_MB
      ? int(env.FACE_ENCODE_DISK_RESERVE_MB)
      : DEFAULT_CONFIG.diskReserveMb,
    requestTimeoutMs: env.FACE_ENCODE_REQUEST_TIMEOUT_MS
      ? int(env.FACE_ENCODE_REQUEST_TIMEOUT_MS)
      : DEFAULT_CONFIG.requestTimeoutMs,
    maxConnections: env.FACE_ENCODE_MAX_CONNECTIONS
      ? int(env.FACE_ENCODE_MAX_CONNECTIONS)
      : DEFAULT_CONFIG.maxConnections,
    leaseMs: env.FACE_ENCODE_LEASE_MS ? int(env.FACE_ENCODE_LEASE_MS) : DEFAULT_CONFIG.leaseMs,
    logLevel: flags.logLevel ?? env.FACE_ENCODE_LOG_LEVEL ?? DEFAULT_CONFIG.logLevel,
    encoder:
      flags.encoder ??
      (env.FACE_ENCODE_ENCODER as ServerConfig['encoder'] | undefined) ??
      DEFAULT_CONFIG.encoder,
    remoteEncoderUrl:
      flags.remoteEncoderUrl ??
      flags.remoteUrl ??
      env.FACE_ENCODE_REMOTE_ENCODER_URL ??
      env.FACE_ENCODE_REMOTE_URL ??
      null,
    remoteEncoderToken: env.FACE_ENCODE_REMOTE_TOKEN ?? null,
    databaseUrl: flags.databaseUrl ?? env.FACE_ENCODE_DATABASE_URL ?? null,
    migrate: flags.migrate ?? true,
    redisUrl: flags.redisUrl ?? env.FACE_ENCODE_REDIS_URL ?? null,
    redisPrefix: env.FACE_ENCODE_REDIS_PREFIX ?? DEFAULT_CONFIG.redisPrefix,
    blobUrl: flags.blobUrl ?? env.FACE_ENCODE_BLOB_URL ?? null,
    s3Endpoint: flags.s3Endpoint ?? env.FACE_ENCODE_S3_ENDPOINT ?? null,
    s3Region: flags.s3Region ?? env.FACE_ENCODE_S3_REGION ?? null,
    s3ForcePathStyle: flags.s3ForcePathStyle ?? envBool(env.FACE_ENCODE_S3_FORCE_PATH_STYLE) ?? false,
    uploadUrlTtlSeconds: env.FACE_ENCODE_UPLOAD_URL_TTL
      ? int(env.FACE_ENCODE_UPLOAD_URL_TTL)
      : DEFAULT_CONFIG.uploadUrlTtlSeconds,
    uploadSecret: env.FACE_ENCODE_UPLOAD_SECRET ?? null,
    metricsPort:
      flags.metricsPort ?? (env.FACE_ENCODE_METRICS_PORT ? int(env.FACE_ENCODE_METRICS_PORT) : null),
    ...masterKeysFromEnv(),
    maxCollectionFaces: env.FACE_ENCODE_MAX_COLLECTION_FACES
      ? int(env.FACE_ENCODE_MAX_COLLECTION_FACES)
      : DEFAULT_CONFIG.maxCollectionFaces,
    keyDatabaseUrl: env.FACE_ENCODE_KEY_DATABASE_URL ?? null,
  });
}

/** FACE_ENCODE_MASTER_KEY (and keys being rotated out), checked here once: a bad key exits 2 with how to make one. */
function masterKeysFromEnv(): Pick<ServerConfig, 'masterKey' | 'previousMasterKeys'> {
  const masterKey = env.FACE_ENCODE_MASTER_KEY || null;
  const previousMasterKeys = (env.FACE_ENCODE_PREVIOUS_MASTER_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  try {
    for (const key of [masterKey, ...previousMasterKeys]) if (key) parseMasterKey(key);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  return { masterKey, previousMasterKeys };
}
/** The JWT options, shared by `start` and `encoder`. */
const jwtOptions = {
  jwksUrl: () => new Option('--jwks-url <url>', 'jwt auth: JWKS URL (env FACE_ENCODE_JWKS_URL)'),
  secret: () =>
    new Option(
      '--jwt-secret <secret>',
      'jwt auth: shared HS256 secret, at least 32 bytes (env FACE_ENCODE_JWT_SECRET)',
    ),
  maxAge: () =>
    new Option(
      '--jwt-max-age <seconds>',
      'jwt auth: refuse tokens issued longer ago; default 86400 (env FACE_ENCODE_JWT_MAX_AGE)',
    ),
};

const dataDirOption = () =>
  shown('--data-dir <dir>', 'where SQLite and blobs live (env FACE_ENCODE_DATA_DIR)', DEFAULT_CONFIG.dataDir);

/**
 * An option whose help shows the default that applies when neither the flag nor its env variable is
 * set; the parsed value stays undefined, so configFrom can still fall back to the env variable.
 */
function shown(
  flags: string,
  description: string,
  fallback: string,
  parse?: (value: string) => unknown,
): Option {
  // In the text, not commander's default value: commander prints defaults only for defined values.
  const option = new Option(flags, `${description} (default: ${fallback})`);
  return parse ? option.argParser(parse) : option;
}

/** The engine flags every command that opens the stores takes. */
function withEngineOptions(command: Command): Command {
  return command
    .option(
      '--database-url <url>',
      'postgres://… (default: SQLite in the data dir) (env FACE_ENCODE_DATABASE_URL)',
    )
    .option(
      '--redis-url <url>',
      'redis://…: BullMQ queue, pub/sub waits, shared rate limits (env FACE_ENCODE_REDIS_URL)',
    )
    .option(
      '--blob-url <url>',
      'file:///dir or s3://bucket/prefix (default: file://<data-dir>/blobs) (env FACE_ENCODE_BLOB_URL)',
    )
    .option('--s3-endpoint <url>', 'S3 endpoint for MinIO, Ceph RGW, R2 (env FACE_ENCODE_S3_ENDPOINT)')
    .option('--s3-region <region>', 'S3 region (env FACE_ENCODE_S3_REGION)')
    .option('--s3-force-path-style', 'path-style S3 URLs (env FACE_ENCODE_S3_FORCE_PATH_STYLE)');
}

/** Opens the engines, or prints the one-line reason and exits 2. */
async function openEnginesOrExit(config: ServerConfig): Promise<Engines> {
  try {
    const engines = await openEngines(config);
    if (config.migrate) await engines.migrate();
    return engines;
  } catch (error) {
    if (error instanceof EngineConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

const program = new Command('face-encode-server')
  .description('The face-encode reference server: HTTP API, durable queue and face-encoding workers.')
  .version('0.1.0');

const ENCODER_HOST = '127.0.0.1';

/** Graceful shutdown on SIGTERM and SIGINT, bounded: a stuck close still exits. */
function closeOnSignals(server: { close(): Promise<void> }, config: ServerConfig, logger: Logger): void {
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 2000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

withEngineOptions(program.command('start'))
  .description('Start the HTTP API with encoder workers on embedded SQLite and files.')
  .addOption(shown('--host <host>', 'interface to bind (env FACE_ENCODE_HOST)', DEFAULT_CONFIG.host))
  .addOption(
    shown(
      '--port <port>',
      'port; 0 picks a free one (env FACE_ENCODE_PORT)',
      String(DEFAULT_CONFIG.port),
      int,
    ),
  )
  .addOption(dataDirOption())
  .addOption(
    shown('--auth <mode>', 'authentication (env FACE_ENCODE_AUTH)', DEFAULT_CONFIG.auth).choices([
      'demo',
      'api-key',
      'jwt',
    ]),
  )
  .addOption(
    shown(
      '--max-file-mb <mb>',
      'upload size limit in MiB (env FACE_ENCODE_MAX_FILE_MB)',
      String(DEFAULT_CONFIG.maxFileMb),
      int,
    ),
  )
  .addOption(
    shown(
      '--workers <n>',
      'encoder threads; 0 runs the API only (env FACE_ENCODE_WORKERS)',
      'the CPU count',
      int,
    ),
  )
  .addOption(shown('--keep-images', 'keep raw images after encoding (env FACE_ENCODE_KEEP_IMAGES)', 'off'))
  .option('--insecure-demo-auth', 'allow demo auth on a non-loopback bind')
  .addOption(
    shown('--cors-origin <origin...>', 'allowed CORS origins, or * (env FACE_ENCODE_CORS_ORIGINS)', 'none'),
  )
  .addOption(
    shown('--detector <name>', 'face detector (env FACE_ENCODE_DETECTOR)', DEFAULT_CONFIG.detector).choices([
      'ssd_mobilenetv1',
      'tiny_face_detector',
    ]),
  )
  .addOption(
    shown(
      '--threshold <distance>',
      'same-person distance threshold (env FACE_ENCODE_THRESHOLD)',
      String(DEFAULT_CONFIG.threshold),
      Number,
    ),
  )
  .addOption(jwtOptions.jwksUrl())
  .addOption(jwtOptions.secret())
  .addOption(jwtOptions.maxAge())
  .option('--webhook-allow-private', 'let webhooks reach private and loopback addresses')
  .addOption(
    shown('--log-level <level>', 'pino log level (env FACE_ENCODE_LOG_LEVEL)', DEFAULT_CONFIG.logLevel),
  )
  .addOption(
    shown('--encoder <engine>', 'encoder engine (env FACE_ENCODE_ENCODER)', DEFAULT_CONFIG.encoder).choices([
      'faceapi',
      'remote',
    ]),
  )
  .option('--no-migrate', 'do not run database migrations at start')
  .option(
    '--remote-encoder-url <url>',
    'remote engine: a service speaking POST /v1/selfie, e.g. face-encode-server encoder (env FACE_ENCODE_REMOTE_ENCODER_URL)',
  )
  .addOption(new Option('--remote-url <url>', 'old name of --remote-encoder-url').hideHelp())
  .addHelpText(
    'after',
    '\nExamples:\n  face-encode-server start\n  face-encode-server start --auth demo --port 3030 --workers 2\n  FACE_ENCODE_DATA_DIR=/var/lib/face-encode face-encode-server start --host 0.0.0.0',
  )
  .action(async (flags: Partial<StartFlags>) => {
    const config = configFrom(flags);
    if (config.auth === 'demo' && !isLoopback(config.host) && !config.insecureDemoAuth) {
      console.error(
        `Refusing demo auth on ${config.host}: anyone could act as any user. Bind to 127.0.0.1, use --auth api-key, or pass --insecure-demo-auth.`,
      );
      process.exit(2);
    }
    if (config.encoder === 'remote' && !config.remoteEncoderUrl) {
      console.error(
        'The remote engine needs the encoder URL: --remote-encoder-url http://127.0.0.1:8000 (face-encode-server encoder).',
      );
      process.exit(2);
    }
    const logger = pino({ level: config.logLevel });
    const server = await startServer(config, { logger }).catch((error: unknown) => {
      if (error instanceof EngineConfigError) {
        console.error(error.message);
        process.exit(2);
      }
      throw error;
    });
    closeOnSignals(server, config, logger);
  });

program
  .command('encoder')
  .description(
    'Serve only the stateless encoder (POST /v1/selfie, /healthz, /readyz, /metrics, /openapi.json): the drop-in upstream encoder of existing services.',
  )
  .option('--host <host>', 'interface to bind', ENCODER_HOST)
  .option('--port <port>', 'port; 0 picks a free one', int, ENCODER_DEFAULTS.port)
  .addOption(
    new Option('--auth <mode>', 'authentication; none asks for no credentials')
      .choices(['none', 'api-key', 'jwt'])
      .default(ENCODER_DEFAULTS.auth),
  )
  .addOption(
    new Option(
      '--data-dir <dir>',
      'auth api-key: the data dir holding the keys (env FACE_ENCODE_DATA_DIR)',
    ).default(undefined, './.face-encode'),
  )
  .option('--max-file-mb <mb>', 'upload size limit in MiB (env FACE_ENCODE_MAX_FILE_MB)', int)
  .option('--workers <n>', 'encoder threads, at least 1 (env FACE_ENCODE_WORKERS)', int)
  .addOption(
    new Option('--detector <name>', 'face detector (env FACE_ENCODE_DETECTOR)').choices([
      'ssd_mobilenetv1',
      'tiny_face_detector',
    ]),
  )
  .option('--cors-origin <origin...>', 'allowed CORS origins, or * (env FACE_ENCODE_CORS_ORIGINS)')
  .addOption(jwtOptions.jwksUrl())
  .addOption(jwtOptions.secret())
  .addOption(jwtOptions.maxAge())
  .option('--log-level <level>', 'pino log level (env FACE_ENCODE_LOG_LEVEL)')
  .addHelpText(
    'after',
    "\nHost, port and auth come from the flags only, never from the session server's FACE_ENCODE_* variables.\n\nExamples:\n  face-encode-server encoder\n  face-encode-server encoder --port 8001 --workers 2\n  face-encode-server encoder --auth api-key --data-dir /var/lib/face-encode",
  )
  .action(async (flags: Partial<StartFlags>) => {
    const config = configFrom({ ...flags, encoder: 'faceapi' });
    const logger = pino({ level: config.logLevel });
    if (config.auth === 'none' && !isLoopback(config.host)) {
      logger.warn(
        { host: config.host },
        'auth none on a non-loopback bind: anyone who can reach it can encode',
      );
    }
    closeOnSignals(await startEncoderServer(config, { logger }), config, logger);
  });

withEngineOptions(program.command('worker'))
  .description('Run encoder workers without the HTTP API, on the same engines as the API processes.')
  .addOption(dataDirOption())
  .option('--workers <n>', 'encoder threads (env FACE_ENCODE_WORKERS)', int)
  .option('--keep-images', 'keep raw images after encoding')
  .option(
    '--metrics-port <port>',
    'serve /metrics (queue depth, oldest waiting job) on this port (env FACE_ENCODE_METRICS_PORT)',
    int,
  )
  .option('--host <host>', 'interface of the metrics port (env FACE_ENCODE_HOST)')
  .option('--no-migrate', 'do not run database migrations at start')
  .option('--log-level <level>', 'pino log level (env FACE_ENCODE_LOG_LEVEL)')
  .action(async (flags: Partial<StartFlags>) => {
    const config = configFrom(flags);
    const logger = pino({ level: config.logLevel });
    const engines = await openEnginesOrExit(config);
    const metrics = createMetrics(engines.queue);
    const pipeline = new Pipeline({
      config: { ...config, workers: Math.max(1, config.workers) },
      store: engines.store,
      blobs: engines.blobs,
      queue: engines.queue,
      events: engines.events,
      lock: engines.lock,
      metrics: metrics.pipeline,
      logger,
    });
    await pipeline.start();
    const metricsServer =
      config.metricsPort === null ? null : await serveMetrics(metrics, config.host, config.metricsPort);
    logger.info(
      { workers: config.workers, engines: engines.kinds, metrics: metricsServer?.url ?? null },
      'workers running',
    );
    const stop = async () => {
      await pipeline.stop(config.shutdownTimeoutMs);
      await metricsServer?.close();
      await engines.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });

withEngineOptions(program.command('cleanup'))
  .description('Run one cleanup pass: expired sessions, stale uploads, orphaned blobs.')
  .addOption(dataDirOption())
  .option(
    '--orphan-grace <seconds>',
    'only blobs older than this can be orphans (an upload in flight writes its blob first)',
    int,
    3600,
  )
  .action(async (flags: Partial<StartFlags> & { orphanGrace: number }) => {
    const config = configFrom(flags);
    const logger = pino({ level: config.logLevel });
    const engines = await openEnginesOrExit(config);
    const { store, queue, blobs, lock } = engines;
    const result = await lock.tryWithLock('cleanup', () =>
      runCleanup({ store, blobs, queue, logger, now: Date.now(), staleUploadMs: flags.orphanGrace * 1000 }),
    );
    await engines.close();
    if (!result.ran) {
      console.error('Another process is running a cleanup pass; try again shortly.');
      process.exit(75);
    }
    console.log(JSON.stringify(result.value));
  });

withEngineOptions(program.command('migrate'))
  .description('Apply pending database migrations (start and worker do this too, unless --no-migrate).')
  .addOption(dataDirOption())
  .action(async (flags: Partial<StartFlags>) => {
    const engines = await openEnginesOrExit({ ...configFrom(flags), migrate: false });
    await engines.migrate();
    await engines.close();
    console.log(`Database schema is up to date (${engines.kinds.database}).`);
  });

const keys = program.command('keys').description('Manage API keys (stored hashed; a key is shown once).');
withEngineOptions(keys.command('create'))
  .description('Create an API key for a user and print it once.')
  .requiredOption('--user <user>', 'the user the key acts as')
  .addOption(dataDirOption())
  .addHelpText('after', '\nExample:\n  face-encode-server keys create --user alice')
  .action(async (flags: { user: string; dataDir?: string }) => {
    const engines = await openEnginesOrExit(configFrom(flags));
    const { store } = engines;
    const { key, record } = await createApiKey(store, flags.user);
    await engines.close();
    console.log(`Created key ${record.id} for ${record.userId}. It is shown only now:\n${key}`);
  });
withEngineOptions(keys.command('list'))
  .description('List API keys: id, user, prefix, state and creation time (never the key).')
  .addOption(dataDirOption())
  .addHelpText('after', '\nExample:\n  face-encode-server keys list')
  .action(async (flags: { dataDir?: string }) => {
    const engines = await openEnginesOrExit(configFrom(flags));
    const { store } = engines;
    for (const k of await store.listApiKeys()) {
      console.log(
        `${k.id}  ${k.userId}  ${k.prefix}…  ${k.revokedAt ? 'revoked' : 'active'}  created ${new Date(k.createdAt).toISOString()}`,
      );
    }
    await engines.close();
  });
withEngineOptions(keys.command('revoke'))
  .description('Revoke an API key by its id (from keys list); requests with it get 401 from then on.')
  .argument('<id>', 'the key id shown by keys create and keys list')
  .addOption(dataDirOption())
  .addHelpText('after', '\nExample:\n  face-encode-server keys revoke 3f9c1e2a')
  .action(async (id: string, flags: { dataDir?: string }) => {
    const engines = await openEnginesOrExit(configFrom(flags));
    const { store } = engines;
    const ok = await revokeApiKey(store, engines.keyRevocations, id);
    await engines.close();
    if (!ok) {
      console.error(`No active key ${id}. Run face-encode-server keys list.`);
      process.exit(4);
    }
    console.log(`Revoked ${id}.`);
  });

program.parseAsync().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
