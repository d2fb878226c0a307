import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticate.js';
import type { ServerConfig } from './config.js';
import { createHttpApp } from './http/create-http-app.js';
import { encoderDocument } from './http/encoder-document.js';
import type { AppMetrics } from './http/metrics.js';
import { loadOpenApiDocument } from './http/openapi-document.js';
import type { SelfieEncoder } from './http/routes/handler-deps.js';
import { operationRoutes } from './http/routes/operations.js';
import { selfieRoutes } from './http/routes/selfie.js';
import type { MetadataStore } from './storage/metadata-store.js';

export interface EncoderAppDeps {
  encoder: SelfieEncoder & { readonly ready: boolean };
  metrics: AppMetrics;
  /** Where API keys are looked up; needed for auth `api-key` only. */
  store: MetadataStore | null;
  logger?: Logger;
}

async function authenticatorOf(config: ServerConfig, store: MetadataStore | null) {
  if (config.auth === 'none') return null;
  if (config.auth === 'demo') throw new Error('The encoder takes auth none, api-key or jwt.');
  if (config.auth === 'api-key' && !store) throw new Error('Auth api-key needs the store of the keys.');
  return createAuthenticator(config, { store: store as MetadataStore });
}

/**
 * The stateless encoder's HTTP app: POST /v1/selfie and the operations endpoints, nothing stored.
 * The drop-in upstream encoder existing services call. Never listens.
 */
export async function buildEncoderApp(config: ServerConfig, deps: EncoderAppDeps): Promise<FastifyInstance> {
  const document = encoderDocument(loadOpenApiDocument(), config.auth);
  return createHttpApp(config, {
    logger: deps.logger,
    metrics: deps.metrics,
    authenticate: await authenticatorOf(config, deps.store),
    document,
    handlers: {
      ...selfieRoutes({ config, encoder: deps.encoder }),
      ...operationRoutes({
        metrics: deps.metrics,
        document,
        readiness: {
          model: async () => {
            if (!deps.encoder.ready) throw new Error('loading');
          },
        },
      }),
    },
  });
}
