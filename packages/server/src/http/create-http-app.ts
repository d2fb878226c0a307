import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticate.js';
import { LoginFailures } from '../auth/login-failures.js';
import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors/error-catalog.js';
import type { AppMetrics } from './metrics.js';
import type { OpenApiDocument } from './openapi-document.js';
import { sendProblem, toApiError } from './problem.js';
import { releaseHeld, UploadGate } from './upload-gate.js';
import { bodyRules, enforceBodyRules, isMultipart } from './request-body.js';
import { refuseResponseOnlyMediaTypes } from './response-media-types.js';

export interface HttpAppOptions {
  /** A pino logger; a JSON logger at config.logLevel when omitted. */
  logger?: Logger;
  metrics: AppMetrics;
  /** Resolves the caller's user; null serves every operation without credentials (auth `none`). */
  authenticate: Authenticator | null;
  /** A Redis client for rate-limit counters shared by every API process; null counts in this process. */
  rateLimitRedis?: Redis | null;
  /** The operations to serve, as /openapi.json shows them. */
  document: OpenApiDocument;
  /** The handler of every operation in `document`, by operationId. */
  handlers: Record<string, unknown>;
}

/** Operations anyone may call. Everything else needs a user. */
const PUBLIC = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
  }
  interface FastifyInstance {
    /** Bounds upload bytes buffered and images decoded at once (load shedding with 503). */
    uploadGate: UploadGate;
    /** Every route registered, for the test that compares them with the OpenAPI document. */
    routeList: Array<{ method: string; url: string }>;
  }
}

function createFastify(config: ServerConfig, logger: Logger | undefined) {
  const logging = logger
    ? { loggerInstance: logger }
    : {
        logger: {
          level: config.logLevel,
          // Credentials never reach the logs; bodies (images, encodings) are never logged at all.
          redact: ['req.headers.authorization', 'req.headers.user_id', 'req.headers.cookie'],
        },
      };
  return Fastify({
    ...logging,
    bodyLimit: config.maxJsonBytes,
    // Without these, a trickled body or a part busboy never finishes holds a socket (and its buffers)
    // forever: Node answers 408 when headers or the whole request are late.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    maxRequestsPerSocket: config.maxRequestsPerSocket,
    http: {
      headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
      // How often Node looks for late requests (default 30 s, longer than short timeouts).
      connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
    },
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `req-${randomUUID()}`;
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    routerOptions: { ignoreTrailingSlash: false },
  }) as unknown as FastifyInstance;
}

const CLIENT_GONE = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Whether `error` comes from the client closing its connection before the request was read. */
function clientWentAway(request: FastifyRequest, error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    request.raw.destroyed ||
    request.raw.socket?.destroyed === true ||
    CLIENT_GONE.has(String(e.code)) ||
    e.message === 'aborted' ||
    e.message === 'Premature close'
  );
}

function handleErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    // A client that hung up mid-upload is no server fault: one info line, no stack, and the answer
    // goes nowhere anyway.
    if (apiError.status >= 500 && clientWentAway(request, error)) {
      request.log.info({ reason: (error as Error).message }, 'client disconnected');
    } else if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, apiError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new ApiError('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
    ),
  );
}

async function registerCors(app: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? true : origins,
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

async function registerRateLimit(
  app: FastifyInstance,
  config: ServerConfig,
  redis: Redis | null,
): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    // Counted in Redis when configured, so N API processes still allow the limit once, not N times.
    ...(redis ? { redis, nameSpace: 'rate-limit:', skipOnError: false } : {}),
    hook: 'onRequest',
    // Without authentication (auth `none`) there is no user: the limit is per client address.
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
}

async function registerRoutes(app: FastifyInstance, o: HttpAppOptions): Promise<void> {
  const rules = bodyRules(o.document);
  enforceBodyRules(app, rules);

  const routeList: Array<{ method: string; url: string }> = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    // Multipart bodies are read from the stream (with limits) by the handler; ajv would see no body.
    if (route.schema && methods.some((m) => isMultipart(rules.get(`${m} ${route.url}`))))
      delete route.schema.body;
    for (const method of methods) routeList.push({ method, url: route.url });
  });

  refuseResponseOnlyMediaTypes(app, o.document);
  // A copy: the plugin rewrites the document it is given.
  await app.register(openapiGlue, {
    specification: structuredClone(o.document),
    serviceHandlers: o.handlers,
  });
}

/**
 * The HTTP app shared by the session server and the stateless encoder: request ids, problem+json
 * errors, CORS, multipart limits, authentication, rate limits, metrics, and the routes of `document`
 * (fastify-openapi-glue). Never listens.
 */
export async function createHttpApp(config: ServerConfig, o: HttpAppOptions): Promise<FastifyInstance> {
  const app = createFastify(config, o.logger);
  // A cap on sockets, so a flood of idle or trickling connections cannot exhaust descriptors.
  app.server.maxConnections = config.maxConnections;
  app.decorateRequest('userId', '');
  app.decorate('uploadGate', new UploadGate(config.uploadBufferMb * 2 ** 20, config.uploadDecodes));
  app.addHook('onResponse', async (request) => releaseHeld(request));
  app.addHook('onRequestAbort', async (request) => releaseHeld(request));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  handleErrors(app);
  await registerCors(app, config.corsOrigins);
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

  // Authenticate before rate limiting, so the limit is per user; failures are limited per address
  // here, before the credentials are even looked at.
  const authenticate = o.authenticate;
  if (authenticate) {
    const failures = new LoginFailures(config.authFailureMax, config.rateLimitWindowMs);
    app.addHook('onRequest', async (request: FastifyRequest) => {
      const path = request.routeOptions.url;
      if (!path || PUBLIC.has(path)) return;
      const blockedFor = failures.retryAfter(request.ip, Date.now());
      if (blockedFor !== null) {
        throw new ApiError(
          'rate_limited',
          `Too many failed authentications from this address. Retry in ${blockedFor} seconds.`,
          { headers: { 'retry-after': String(blockedFor) } },
        );
      }
      try {
        request.userId = await authenticate(request);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'unauthorized')
          failures.record(request.ip, Date.now());
        throw error;
      }
    });
  }
  await registerRateLimit(app, config, o.rateLimitRedis ?? null);

  app.addHook('onResponse', async (request, reply) => {
    o.metrics.httpDuration
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  await registerRoutes(app, o);
  return app;
}
