import type { FastifyInstance, FastifyRequest, preParsingHookHandler } from 'fastify';
import { ApiError } from '../errors/error-catalog.js';
import type { OpenApiDocument } from './openapi-document.js';

/** What an operation takes as a body, as the OpenAPI document says. */
export interface BodyRule {
  required: boolean;
  /** The media types of `requestBody.content`; empty when the operation takes no body. */
  mediaTypes: string[];
}

interface RequestBodySpec {
  required?: boolean;
  content?: Record<string, unknown>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** The body rule of every operation, keyed `METHOD /path/:param` as Fastify names its routes. */
export function bodyRules(document: OpenApiDocument): Map<string, BodyRule> {
  const rules = new Map<string, BodyRule>();
  for (const [path, item] of Object.entries(document.paths)) {
    const url = path.replace(/\{(\w+)\}/g, ':$1');
    for (const method of METHODS.filter((m) => item[m])) {
      const body = item[method]?.requestBody as RequestBodySpec | undefined;
      rules.set(`${method.toUpperCase()} ${url}`, {
        required: body?.required ?? false,
        mediaTypes: Object.keys(body?.content ?? {}),
      });
    }
  }
  return rules;
}

const mediaTypeOf = (header: string | undefined) => (header ?? '').split(';')[0]!.trim().toLowerCase();

/** A body is on the wire unless the request says it has none (no length, or length 0, and not chunked). */
const sendsBody = (request: FastifyRequest) => {
  const { 'content-length': length, 'transfer-encoding': chunked } = request.headers;
  return chunked !== undefined || (length !== undefined && length !== '0');
};

/**
 * 415 for a body of a media type the operation does not list. preParsing runs after authentication and
 * before any parser reads the body; a callback hook, no promise.
 */
function mediaTypeHook(accepted: string[]): preParsingHookHandler {
  return (request, _reply, payload, done) => {
    if (!sendsBody(request)) return done(null, payload);
    const type = mediaTypeOf(request.headers['content-type']);
    if (!accepted.includes(type)) {
      return done(
        new ApiError(
          'unsupported_media_type',
          `This operation takes ${accepted.join(' or ')}; the body was sent as ${type || 'no Content-Type'}.`,
        ),
      );
    }
    done(null, payload);
  };
}

/**
 * Holds request bodies to the document: a non-empty body must be of a media type the operation lists
 * (else 415, naming them), and an empty `application/json` body is `{}` where the body is optional,
 * as clients that always send `Content-Type: application/json` expect. Register before the routes.
 */
export function enforceBodyRules(app: FastifyInstance, rules: Map<string, BodyRule>): void {
  const ruleOf = (request: FastifyRequest) => rules.get(`${request.method} ${request.routePath}`);

  // Only operations that take a body get the check, as a route hook: a bodiless GET runs none.
  // Every operation is its own route, one method each (HEAD routes take no body).
  app.addHook('onRoute', (route) => {
    const accepted = rules.get(`${String(route.method)} ${route.url}`)?.mediaTypes ?? [];
    if (accepted.length > 0) route.preParsing = [...[route.preParsing ?? []].flat(), mediaTypeHook(accepted)];
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0 && !ruleOf(request)?.required) {
      done(null, {});
      return;
    }
    parseJson(request, body as string, done);
  });
}

/** Multipart operations read their body from the stream themselves (with limits). */
export const isMultipart = (rule: BodyRule | undefined) =>
  rule?.mediaTypes.includes('multipart/form-data') ?? false;

/** Media types taken as a raw stream (the direct-upload target), never parsed. */
export const RAW_BODY_TYPES = [
  'application/octet-stream',
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
] as const;

/** Raw-body operations read their body from the stream themselves (with limits). */
export const isRaw = (rule: BodyRule | undefined) =>
  rule?.mediaTypes.some((type) => (RAW_BODY_TYPES as readonly string[]).includes(type)) ?? false;
