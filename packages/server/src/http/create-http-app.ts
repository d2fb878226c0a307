import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyRequest,
  type onRequestHookHandler,
} from 'fastify';
import openapiGlue from 'fastify-openapi-glue';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticate.js';
import { LoginFailures } from '../auth/login-failures.js';
import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors/error-catalog.js';
import { observeRequest, type AppMetrics } from './metrics.js';
import type { OpenApiDocument } from './openapi-document.js';
import { sendProblem, toApiError } from './problem.js';
import { MemoryRateCounter, RedisRateCounter, rateLimitHook } from './rate-limit.js';
import { releaseHeld, UploadGate } from './upload-gate.js';
import { deferContinueForUploads } from './expect-continue.js';
import { keepIdleTimeoutUntilBodyEnds } from './early-answer-timeout.js';
import { bodyRules, enforceBodyRules, isMultipart, isRaw, RAW_BODY_TYPES } from './request-body.js';
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
// The direct-upload target authenticates by its signed token, not by user credentials.
const PUBLIC = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/docs/assets/:asset',
  '/v1/uploads/:token',
]);
/** Probes of load balancers and orchestrators, every few seconds per instance: logged at debug, not info. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

declare module 'fastify' {
  interface FastifyRequest {
    userId: string;
    /** The matched route's path ('/v1/session/:session_id'), '' for none; set once in the first onRequest hook. */
    routePath: string;
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
    // One log line per request (in onResponse), not Fastify's two: "incoming request" adds nothing to it.
    logController: new LogController({ disableRequestLogging: true }),
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
    } else if (apiError.code === 'service_unavailable') {
      // Load shedding is the server working as designed: no stack, and not an error per shed upload.
      request.log.warn({ reason: apiError.message }, 'upload shed');
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
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
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

function rateLimit(config: ServerConfig, redis: Redis | null): onRequestHookHandler {
  const windowMs = config.rateLimitWindowMs;
  return rateLimitHook({
    max: config.rateLimitMax,
    windowMs,
    // In Redis when configured, so N API processes still allow the limit once, not N times.
    counter: redis ? new RedisRateCounter({ redis, windowMs }) : new MemoryRateCounter({ windowMs }),
  });
}

/**
 * Authenticates the caller into request.userId. Failures are limited per address here, before the
 * credentials are even looked at. A callback hook: a cached key or a demo user needs no promise.
 */
function authHook(config: ServerConfig, authenticate: Authenticator): onRequestHookHandler {
  const failures = new LoginFailures(config.authFailureMax, config.rateLimitWindowMs);
  return (request, _reply, done) => {
    const blockedFor = failures.retryAfter(request.ip, Date.now());
    if (blockedFor !== null) {
      return done(
        new ApiError(
          'rate_limited',
          `Too many failed authentications from this address. Retry in ${blockedFor} seconds.`,
          { headers: { 'retry-after': String(blockedFor) } },
        ),
      );
    }
    const failed = (error: Error) => {
      if (error instanceof ApiError && error.code === 'unauthorized') failures.record(request.ip, Date.now());
      done(error);
    };
    let user: string | Promise<string>;
    try {
      user = authenticate(request);
    } catch (error) {
      return failed(error as Error);
    }
    if (typeof user === 'string') {
      request.userId = user;
      return done();
    }
    user.then((id) => {
      request.userId = id;
      done();
    }, failed);
  };
}

/**
 * Every operation but the public ones authenticates, then is rate limited (per user, so after
 * authentication), as route hooks: public operations and unmatched paths run neither. Register
 * before the routes.
 */
function guardOperations(app: FastifyInstance, guards: onRequestHookHandler[]): void {
  app.addHook('onRoute', (route) => {
    if (PUBLIC.has(route.url)) return;
    route.onRequest = [...[route.onRequest ?? []].flat(), ...guards];
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
    // So are raw bodies (the direct-upload target), streamed past the JSON body limit.
    if (
      route.schema &&
      methods.some(
        (m) => isMultipart(rules.get(`${m} ${route.url}`)) || isRaw(rules.get(`${m} ${route.url}`)),
      )
    )
      delete route.schema.body;
    for (const method of methods) routeList.push({ method, url: route.url });
  });

  // Raw bodies reach the handler as the request stream; it reads them within its own limit.
  app.addContentTypeParser([...RAW_BODY_TYPES], (_request, payload, done) => done(null, payload));
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
  deferContinueForUploads(app.server);
  app.decorateRequest('userId', '');
  app.decorateRequest('routePath', '');
  app.decorate('uploadGate', new UploadGate(config.uploadBufferMb * 2 ** 20, config.uploadDecodes));
  // Callback hooks on every request: no promise, no extra microtask per hook.
  app.addHook('onRequestAbort', (request, done) => {
    releaseHeld(request);
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    // request.routeOptions builds a new object on every read: read it once, for every later hook.
    request.routePath = request.routeOptions.url ?? '';
    reply.header('x-request-id', request.id);
    done();
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

  const guards = o.authenticate ? [authHook(config, o.authenticate)] : [];
  guardOperations(app, [...guards, rateLimit(config, o.rateLimitRedis ?? null)]);

  // One hook after every response: the held upload budget, the timeout of a body still arriving,
  // the duration histogram, one log line (at debug for probes).
  const timeouts = { idleTimeoutMs: config.idleTimeoutMs, keepAliveTimeoutMs: config.keepAliveTimeoutMs };
  app.addHook('onResponse', (request, reply, done) => {
    releaseHeld(request);
    keepIdleTimeoutUntilBodyEnds(request.raw, timeouts);
    const ms = reply.elapsedTime;
    observeRequest(o.metrics, request.method, request.routePath || undefined, reply.statusCode, ms);
    request.log[PROBES.has(request.routePath) ? 'debug' : 'info'](
      {
        req: { method: request.method, url: request.url },
        res: { statusCode: reply.statusCode },
        responseTime: ms,
      },
      'request completed',
    );
    done();
  });

  await registerRoutes(app, o);
  return app;
}
