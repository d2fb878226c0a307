import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticate.js';
import type { ServerConfig } from './config.js';
import { ApiError } from './errors/error-catalog.js';
import { createMetrics, type AppMetrics } from './http/metrics.js';
import { cloneOpenApiDocument, loadOpenApiDocument } from './http/openapi-document.js';
import { sendProblem, toApiError } from './http/problem.js';
import { bodyRules, enforceBodyRules, isMultipart } from './http/request-body.js';
import { createServiceHandlers } from './http/service-handlers.js';
import type { ImageEvents } from './pipeline/image-events.js';
import type { Pipeline } from './pipeline/pipeline.js';
import type { JobQueue } from './queue/job-queue.js';
import type { BlobStore } from './storage/blob-store.js';
import type { MetadataStore } from './storage/metadata-store.js';

export interface AppDeps {
  store: MetadataStore;
  blobs: BlobStore;
  queue: JobQueue;
  events: ImageEvents;
  pipeline: Pipeline;
  /** Metrics shared with the pipeline; created when omitted. */
  metrics?: AppMetrics;
  /** A pino logger; a JSON logger at config.logLevel when omitted. */
  logger?: Logger;
  /** The clock. Default Date.now. */
  now?: () => number;
}

/** Operations anyone may call. Everything else needs a user. */
const PUBLIC = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
  }
  interface FastifyInstance {
    /** Every route registered, for the test that compares them with the OpenAPI document. */
    routeList: Array<{ method: string; url: string }>;
  }
}

/** Builds the HTTP app from the OpenAPI document. Never listens: `server.ts` does. */
export async function buildApp(config: ServerConfig, deps: AppDeps): Promise<FastifyInstance> {
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createMetrics(deps.queue);
  const logging = deps.logger
    ? { loggerInstance: deps.logger }
    : {
        logger: {
          level: config.logLevel,
          // Credentials never reach the logs; bodies (images, encodings) are never logged at all.
          redact: ['req.headers.authorization', 'req.headers.user_id', 'req.headers.cookie'],
        },
      };
  const app = Fastify({
    ...logging,
    bodyLimit: config.maxJsonBytes,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `req-${randomUUID()}`;
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    routerOptions: { ignoreTrailingSlash: false },
  });

  app.decorateRequest('userId', '');
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, apiError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new ApiError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
    ),
  );

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowedHeaders: [
        'authorization',
        'content-type',
        'idempotency-key',
        'content-digest',
        'content-md5',
        'user_id',
        'x-request-id',
      ],
      exposedHeaders: [
        'x-request-id',
        'location',
        'retry-after',
        'ratelimit',
        'ratelimit-policy',
        'idempotent-replayed',
      ],
      maxAge: 600,
    });
  }

  await app.register(multipart, {
    limits: {
      fileSize: Math.round(config.maxFileMb * 2 ** 20),
      files: 1,
      fields: 2,
      parts: 3,
      fieldSize: 1024,
      headerPairs: 50,
    },
  });

  // Authenticate before rate limiting, so the limit is per user.
  const authenticate = createAuthenticator(config, deps.store);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const path = request.routeOptions.url;
    if (!path || PUBLIC.has(path)) return;
    request.userId = await authenticate(request);
  });

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    hook: 'onRequest',
    keyGenerator: (request) => (request.userId ? `user:${request.userId}` : `ip:${request.ip}`),
    allowList: (request) => PUBLIC.has(request.routeOptions.url ?? ''),
    addHeadersOnExceeding: {
      'x-ratelimit-limit': true,
      'x-ratelimit-remaining': true,
      'x-ratelimit-reset': true,
    },
    addHeaders: {
      'x-ratelimit-limit': true,
      'x-ratelimit-remaining': true,
      'x-ratelimit-reset': true,
      'retry-after': true,
    },
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new ApiError('rate_limited', `Rate limit exceeded. Retry in ${seconds} seconds.`, {
        headers: { 'retry-after': String(seconds) },
      });
    },
  });

  // Rewrite the limiter's headers into the IETF `RateLimit` / `RateLimit-Policy` fields the API documents.
  const windowSeconds = Math.ceil(config.rateLimitWindowMs / 1000);
  app.addHook('onSend', async (_request, reply, payload) => {
    const limit = reply.getHeader('x-ratelimit-limit');
    if (limit !== undefined) {
      const remaining = reply.getHeader('x-ratelimit-remaining');
      const reset = reply.getHeader('x-ratelimit-reset');
      reply.header('ratelimit', `limit=${limit}, remaining=${remaining}, reset=${reset}`);
      reply.header('ratelimit-policy', `${limit};w=${windowSeconds}`);
      reply.removeHeader('x-ratelimit-limit');
      reply.removeHeader('x-ratelimit-remaining');
      reply.removeHeader('x-ratelimit-reset');
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  const document = loadOpenApiDocument();
  const rules = bodyRules(document);
  enforceBodyRules(app as unknown as FastifyInstance, rules);

  const routeList: Array<{ method: string; url: string }> = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    // Multipart bodies are read from the stream (with limits) by the handler; ajv would see no body.
    if (route.schema && methods.some((m) => isMultipart(rules.get(`${m} ${route.url}`))))
      delete route.schema.body;
    for (const method of methods) routeList.push({ method, url: route.url });
  });

  await app.register(openapiGlue, {
    specification: cloneOpenApiDocument(),
    serviceHandlers: createServiceHandlers({
      config,
      store: deps.store,
      blobs: deps.blobs,
      queue: deps.queue,
      events: deps.events,
      pipeline: deps.pipeline,
      metrics,
      document,
      now,
    }),
  });

  return app as unknown as FastifyInstance;
}
