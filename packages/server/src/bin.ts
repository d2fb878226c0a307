#!/usr/bin/env node
// face-encode-server: the entry point. Environment variables are read here and nowhere else, through
// the one table of settings (config-schema.ts) that the flags below are built from too.
import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import { pino, type Logger } from 'pino';
import { createApiKey, revokeApiKey } from './auth/api-keys.js';
import { runCleanup } from './cleanup/run-cleanup.js';
import { resolveConfig, type ServerConfig } from './config.js';
import { defaultTextOf, optionOf, type SettingKey } from './config-schema.js';
import { ENCODER_DEFAULTS, startEncoderServer } from './encoder-server.js';
import { Pipeline } from './pipeline/pipeline.js';
import { EngineConfigError, openEngines, type Engines } from './engines.js';
import { parseMasterKey } from './collections/template-crypto.js';
import { createMetrics } from './http/metrics.js';
import { serveMetrics } from './http/metrics-server.js';
import {
  ConfigError,
  effectiveOption,
  readSettings,
  type OptionOverrides,
  type Settings,
} from './read-config.js';
import { startServer } from './server.js';

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * The settings of a command: its parsed flags and the environment, read and checked against the one
 * schema (a bad value throws ConfigError, which exits 2 with one line), over the defaults.
 */
function settingsFrom(
  flags: Record<string, unknown>,
  overrides: OptionOverrides = {},
): { config: ServerConfig; settings: Settings } {
  const settings = readSettings(flags, process.env, overrides);
  const { user: _user, orphanGrace: _orphanGrace, ...server } = settings;
  for (const key of [server.masterKey, ...(server.previousMasterKeys ?? [])]) {
    // Its own format, past what a schema says: parseMasterKey's one line says how to make one.
    if (key) {
      try {
        parseMasterKey(key);
      } catch (error) {
        throw new ConfigError((error as Error).message);
      }
    }
  }
  return { config: resolveConfig(server), settings };
}
const configFrom = (flags: Record<string, unknown>, overrides?: OptionOverrides) =>
  settingsFrom(flags, overrides).config;

/**
 * The flag of `key` as the table (and this command's overrides) describe it. Help shows the env
 * variable and the default; enums are listed as choices, but checked by the schema, not commander,
 * so a bad flag gets the same one line as a bad variable. `commanderDefault`: a value commander
 * fills in (a flag-only option of one command), shown as commander shows defaults.
 */
function flag(key: SettingKey, overrides: OptionOverrides = {}, commanderDefault?: unknown): Option {
  const o = effectiveOption(optionOf(key), overrides);
  if (!o.flag) throw new Error(`${key} has no flag.`);
  const fallback = defaultTextOf(o);
  const showFallback = commanderDefault === undefined && fallback !== null && !o.flag.startsWith('--no-');
  const option = new Option(
    o.flag,
    `${o.doc}${o.env ? ` (env ${o.env})` : ''}${showFallback ? ` (default: ${fallback})` : ''}`,
  );
  if (o.schema.type === 'string' && o.schema.enum) option.argChoices = [...o.schema.enum];
  if (commanderDefault !== undefined) option.default(commanderDefault);
  return option;
}

/** Adds the flags of `keys` to `command`. */
function withFlags(command: Command, keys: SettingKey[], overrides: OptionOverrides = {}): Command {
  for (const key of keys) command.addOption(flag(key, overrides));
  return command;
}

/** The engine flags every command that opens the stores takes. */
const ENGINE_FLAGS: SettingKey[] = [
  'databaseUrl',
  'redisUrl',
  'blobUrl',
  's3Endpoint',
  's3Region',
  's3ForcePathStyle',
  'dataDir',
];
const withEngineOptions = (command: Command) => withFlags(command, ENGINE_FLAGS);

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

withFlags(withEngineOptions(program.command('start')), [
  'host',
  'port',
  'auth',
  'maxFileMb',
  'workers',
  'keepImages',
  'insecureDemoAuth',
  'corsOrigins',
  'detector',
  'threshold',
  'jwksUrl',
  'jwtSecret',
  'jwtMaxAgeSeconds',
  'webhookAllowPrivate',
  'logLevel',
  'encoder',
  'migrate',
  'remoteEncoderUrl',
])
  .description('Start the HTTP API with encoder workers on embedded SQLite and files.')
  .addOption(new Option('--remote-url <url>', 'old name of --remote-encoder-url').hideHelp())
  .addHelpText(
    'after',
    '\nExamples:\n  face-encode-server start\n  face-encode-server start --auth demo --port 3030 --workers 2\n  FACE_ENCODE_DATA_DIR=/var/lib/face-encode face-encode-server start --host 0.0.0.0',
  )
  .action(async (flags: Record<string, unknown>) => {
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

/**
 * The encoder's host, port and auth come from its flags only, never from the session server's
 * FACE_ENCODE_* variables, with its own defaults and the `none` mode.
 */
const ENCODER_OVERRIDES: OptionOverrides = {
  host: { env: undefined },
  port: { env: undefined },
  auth: {
    env: undefined,
    schema: { type: 'string', enum: ['none', 'api-key', 'jwt'] },
    doc: 'authentication; none asks for no credentials',
  },
  dataDir: { doc: 'auth api-key: the data dir holding the keys' },
  workers: { doc: 'encoder threads, at least 1', schema: { type: 'integer', minimum: 1 } },
};

withFlags(
  program
    .command('encoder')
    .description(
      'Serve only the stateless encoder (POST /v1/selfie, /healthz, /readyz, /metrics, /openapi.json): the drop-in upstream encoder of existing services.',
    )
    .addOption(flag('host', ENCODER_OVERRIDES, ENCODER_HOST))
    .addOption(flag('port', ENCODER_OVERRIDES, ENCODER_DEFAULTS.port))
    .addOption(flag('auth', ENCODER_OVERRIDES, ENCODER_DEFAULTS.auth)),
  [
    'dataDir',
    'maxFileMb',
    'workers',
    'detector',
    'corsOrigins',
    'jwksUrl',
    'jwtSecret',
    'jwtMaxAgeSeconds',
    'logLevel',
  ],
  ENCODER_OVERRIDES,
)
  .addHelpText(
    'after',
    "\nHost, port and auth come from the flags only, never from the session server's FACE_ENCODE_* variables.\n\nExamples:\n  face-encode-server encoder\n  face-encode-server encoder --port 8001 --workers 2\n  face-encode-server encoder --auth api-key --data-dir /var/lib/face-encode",
  )
  .action(async (flags: Record<string, unknown>) => {
    const config = configFrom({ ...flags, encoder: 'faceapi' }, ENCODER_OVERRIDES);
    const logger = pino({ level: config.logLevel });
    if (config.auth === 'none' && !isLoopback(config.host)) {
      logger.warn(
        { host: config.host },
        'auth none on a non-loopback bind: anyone who can reach it can encode',
      );
    }
    closeOnSignals(await startEncoderServer(config, { logger }), config, logger);
  });

const WORKER_OVERRIDES: OptionOverrides = {
  workers: { doc: 'encoder threads' },
  host: { doc: 'interface of the metrics port' },
};

withFlags(
  withEngineOptions(program.command('worker')),
  ['workers', 'keepImages', 'metricsPort', 'host', 'migrate', 'logLevel'],
  WORKER_OVERRIDES,
)
  .description('Run encoder workers without the HTTP API, on the same engines as the API processes.')
  .action(async (flags: Record<string, unknown>) => {
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

withFlags(withEngineOptions(program.command('cleanup')), ['orphanGrace'])
  .description('Run one cleanup pass: expired sessions, stale uploads, orphaned blobs.')
  .action(async (flags: Record<string, unknown>) => {
    const { config, settings } = settingsFrom(flags);
    const orphanGrace = settings.orphanGrace ?? 3600;
    const logger = pino({ level: config.logLevel });
    const engines = await openEnginesOrExit(config);
    const { store, queue, blobs, lock } = engines;
    const result = await lock.tryWithLock('cleanup', () =>
      runCleanup({ store, blobs, queue, logger, now: Date.now(), staleUploadMs: orphanGrace * 1000 }),
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
  .action(async (flags: Record<string, unknown>) => {
    const engines = await openEnginesOrExit({ ...configFrom(flags), migrate: false });
    await engines.migrate();
    await engines.close();
    console.log(`Database schema is up to date (${engines.kinds.database}).`);
  });

const keys = program.command('keys').description('Manage API keys (stored hashed; a key is shown once).');
withEngineOptions(keys.command('create'))
  .description('Create an API key for a user and print it once.')
  .addOption(flag('user').makeOptionMandatory())
  .addHelpText('after', '\nExample:\n  face-encode-server keys create --user alice')
  .action(async (flags: Record<string, unknown>) => {
    const { config, settings } = settingsFrom(flags);
    const engines = await openEnginesOrExit(config);
    const { store } = engines;
    const { key, record } = await createApiKey(store, settings.user as string);
    await engines.close();
    console.log(`Created key ${record.id} for ${record.userId}. It is shown only now:\n${key}`);
  });
withEngineOptions(keys.command('list'))
  .description('List API keys: id, user, prefix, state and creation time (never the key).')
  .addHelpText('after', '\nExample:\n  face-encode-server keys list')
  .action(async (flags: Record<string, unknown>) => {
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
  .addHelpText('after', '\nExample:\n  face-encode-server keys revoke 3f9c1e2a')
  .action(async (id: string, flags: Record<string, unknown>) => {
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
  if (error instanceof ConfigError) {
    // A bad setting: one line naming it, what it got and what it takes; no stack trace.
    console.error(`face-encode-server: ${error.message}`);
    process.exit(2);
  }
  console.error(error.message);
  process.exit(1);
});
