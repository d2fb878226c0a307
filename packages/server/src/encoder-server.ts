import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { resolveConfig, type ServerConfig } from './config.js';
import { buildEncoderApp } from './encoder-app.js';
import type { EncodeResult } from './encoder/encoder.js';
import { createMetrics, type AppMetrics } from './http/metrics.js';
import { WorkerPool } from './pipeline/worker-pool.js';
import { openEmbeddedStores } from './server.js';
import type { MetadataStore } from './storage/metadata-store.js';

/** Where the encoder differs from the session server: its port, and no credentials by default. */
export const ENCODER_DEFAULTS = { port: 8000, auth: 'none' } as const satisfies Partial<ServerConfig>;

export interface RunningEncoder {
  /** Base URL, e.g. http://127.0.0.1:8000. */
  url: string;
  config: ServerConfig;
  app: FastifyInstance;
  /** Graceful: stop accepting, finish in-flight encodes within the bound, stop the threads. */
  close(): Promise<void>;
}

/** The worker threads of the session server, with the same limits, timing each encode. */
function poolEncoder(config: ServerConfig, metrics: AppMetrics) {
  const pool = new WorkerPool({
    size: Math.max(1, config.workers),
    jobTimeoutMs: config.jobTimeoutMs,
    encoder: { maxPixels: config.maxPixels, detector: config.detector },
  });
  let ready = false;
  return {
    pool,
    get ready() {
      return ready;
    },
    async start() {
      await pool.start();
      ready = true;
    },
    async encodeNow(bytes: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<EncodeResult> {
      const stop = metrics.pipeline.encodeDuration.startTimer();
      try {
        return await pool.encode(bytes, opts);
      } finally {
        stop();
      }
    },
  };
}

/** Starts the encoder threads, then listens: the stateless encoder of `face-encode-server encoder`. */
export async function startEncoderServer(
  partial: Partial<ServerConfig> = {},
  options: { logger?: Logger } = {},
): Promise<RunningEncoder> {
  const config = resolveConfig({ ...ENCODER_DEFAULTS, ...partial });
  const logger = options.logger ?? pino({ level: config.logLevel });
  const metrics = createMetrics();
  const encoder = poolEncoder(config, metrics);
  // Only API keys live in the data dir; with any other auth the encoder touches no disk.
  const store: (MetadataStore & { close(): Promise<void> }) | null =
    config.auth === 'api-key' ? openEmbeddedStores(config.dataDir).store : null;
  let app: FastifyInstance | undefined;
  try {
    app = await buildEncoderApp(config, { encoder, metrics, store, logger });
    await encoder.start();
    const address = await app.listen({ host: config.host, port: config.port });
    const url = address.replace('[::1]', '127.0.0.1');
    logger.info({ url, auth: config.auth, workers: encoder.pool.size }, 'listening');
    const started = app;
    let closing: Promise<void> | undefined;
    return {
      url,
      config,
      app: started,
      close: () =>
        (closing ??= (async () => {
          const bound = new Promise<void>((r) => setTimeout(r, config.shutdownTimeoutMs).unref());
          await Promise.race([started.close(), bound]);
          await encoder.pool.close();
          await store?.close();
        })()),
    };
  } catch (error) {
    await app?.close();
    await encoder.pool.close();
    await store?.close();
    throw error;
  }
}
