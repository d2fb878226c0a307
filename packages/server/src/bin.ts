#!/usr/bin/env node
// face-encode-server: the entry point. Environment variables are read here and nowhere else.
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { pino, type Logger } from 'pino';
import { createApiKey } from './auth/api-keys.js';
import { runCleanup } from './cleanup/run-cleanup.js';
import { DEFAULT_CONFIG, resolveConfig, type ServerConfig } from './config.js';
import { ENCODER_DEFAULTS, startEncoderServer } from './encoder-server.js';
import { ImageEvents } from './pipeline/image-events.js';
import { Pipeline } from './pipeline/pipeline.js';
import { openEmbeddedStores, startServer } from './server.js';

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
  webhookAllowPrivate?: boolean;
  logLevel: string;
  encoder: ServerConfig['encoder'];
  remoteEncoderUrl: string;
  /** The old name of --remote-encoder-url. */
  remoteUrl: string;
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
    webhookAllowPrivate: flags.webhookAllowPrivate ?? envBool(env.FACE_ENCODE_WEBHOOK_ALLOW_PRIVATE) ?? false,
    rateLimitMax: env.FACE_ENCODE_RATE_LIMIT ? int(env.FACE_ENCODE_RATE_LIMIT) : DEFAULT_CONFIG.rateLimitMax,
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
  });
}

const dataDirOption = () =>
  new Option('--data-dir <dir>', 'where SQLite and blobs live (env FACE_ENCODE_DATA_DIR)').default(
    undefined,
    './.face-encode',
  );

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

program
  .command('start')
  .description('Start the HTTP API with encoder workers on embedded SQLite and files.')
  .option('--host <host>', 'interface to bind (env FACE_ENCODE_HOST)', undefined)
  .option('--port <port>', 'port; 0 picks a free one (env FACE_ENCODE_PORT)', int)
  .addOption(dataDirOption())
  .addOption(
    new Option('--auth <mode>', 'authentication (env FACE_ENCODE_AUTH)').choices(['demo', 'api-key', 'jwt']),
  )
  .option('--max-file-mb <mb>', 'upload size limit in MiB (env FACE_ENCODE_MAX_FILE_MB)', int)
  .option('--workers <n>', 'encoder threads; 0 runs the API only (env FACE_ENCODE_WORKERS)', int)
  .option('--keep-images', 'keep raw images after encoding (env FACE_ENCODE_KEEP_IMAGES)')
  .option('--insecure-demo-auth', 'allow demo auth on a non-loopback bind')
  .option('--cors-origin <origin...>', 'allowed CORS origins, or * (env FACE_ENCODE_CORS_ORIGINS)')
  .addOption(
    new Option('--detector <name>', 'face detector (env FACE_ENCODE_DETECTOR)').choices([
      'ssd_mobilenetv1',
      'tiny_face_detector',
    ]),
  )
  .option('--threshold <distance>', 'same-person distance threshold (env FACE_ENCODE_THRESHOLD)', Number)
  .option('--jwks-url <url>', 'jwt auth: JWKS URL (env FACE_ENCODE_JWKS_URL)')
  .option('--jwt-secret <secret>', 'jwt auth: shared HS256 secret (env FACE_ENCODE_JWT_SECRET)')
  .option('--webhook-allow-private', 'let webhooks reach private and loopback addresses')
  .option('--log-level <level>', 'pino log level (env FACE_ENCODE_LOG_LEVEL)')
  .addOption(
    new Option('--encoder <engine>', 'encoder engine (env FACE_ENCODE_ENCODER)').choices([
      'faceapi',
      'remote',
    ]),
  )
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
    closeOnSignals(await startServer(config, { logger }), config, logger);
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
  .option('--jwks-url <url>', 'jwt auth: JWKS URL (env FACE_ENCODE_JWKS_URL)')
  .option('--jwt-secret <secret>', 'jwt auth: shared HS256 secret (env FACE_ENCODE_JWT_SECRET)')
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

program
  .command('worker')
  .description('Run encoder workers without the HTTP API (they share the data dir with the API).')
  .addOption(dataDirOption())
  .option('--workers <n>', 'encoder threads (env FACE_ENCODE_WORKERS)', int)
  .option('--keep-images', 'keep raw images after encoding')
  .action(async (flags: Partial<StartFlags>) => {
    const config = configFrom(flags);
    const logger = pino({ level: config.logLevel });
    const { store, queue, blobs } = openEmbeddedStores(config.dataDir);
    const pipeline = new Pipeline({
      config: { ...config, workers: Math.max(1, config.workers) },
      store,
      blobs,
      queue,
      events: new ImageEvents(),
      logger,
    });
    await pipeline.start();
    logger.info({ workers: config.workers }, 'workers running');
    const stop = async () => {
      await pipeline.stop(config.shutdownTimeoutMs);
      await store.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });

program
  .command('cleanup')
  .description('Run one cleanup pass: expired sessions, stale uploads, orphaned blobs.')
  .addOption(dataDirOption())
  .action(async (flags: Partial<StartFlags>) => {
    const config = configFrom(flags);
    const logger = pino({ level: config.logLevel });
    const { store, queue, blobs } = openEmbeddedStores(config.dataDir);
    const report = await runCleanup({ store, blobs, queue, logger, now: Date.now() });
    await store.close();
    console.log(JSON.stringify(report));
  });

const keys = program.command('keys').description('Manage API keys (stored hashed; a key is shown once).');
keys
  .command('create')
  .requiredOption('--user <user>', 'the user the key acts as')
  .addOption(dataDirOption())
  .addHelpText('after', '\nExample:\n  face-encode-server keys create --user alice')
  .action(async (flags: { user: string; dataDir?: string }) => {
    const { store } = openEmbeddedStores(configFrom(flags).dataDir);
    const { key, record } = await createApiKey(store, flags.user);
    await store.close();
    console.log(`Created key ${record.id} for ${record.userId}. It is shown only now:\n${key}`);
  });
keys
  .command('list')
  .addOption(dataDirOption())
  .action(async (flags: { dataDir?: string }) => {
    const { store } = openEmbeddedStores(configFrom(flags).dataDir);
    for (const k of await store.listApiKeys()) {
      console.log(
        `${k.id}  ${k.userId}  ${k.prefix}…  ${k.revokedAt ? 'revoked' : 'active'}  created ${new Date(k.createdAt).toISOString()}`,
      );
    }
    await store.close();
  });
keys
  .command('revoke <id>')
  .addOption(dataDirOption())
  .action(async (id: string, flags: { dataDir?: string }) => {
    const { store } = openEmbeddedStores(configFrom(flags).dataDir);
    const ok = await store.revokeApiKey(id);
    await store.close();
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
