import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors/error-catalog.js';
import type { OpenApiDocument } from './openapi-document.js';
import { bodyRules } from './request-body.js';

interface ResponsesSpec {
  responses?: Record<string, { content?: Record<string, unknown> }>;
}

/** Media types the document uses only in responses (e.g. application/problem+json, text/html). */
export function responseOnlyMediaTypes(document: OpenApiDocument): string[] {
  const requestTypes = new Set([...bodyRules(document).values()].flatMap((rule) => rule.mediaTypes));
  const responseTypes = new Set<string>();
  for (const item of Object.values(document.paths))
    for (const operation of Object.values(item) as ResponsesSpec[])
      for (const response of Object.values(operation?.responses ?? {}))
        for (const type of Object.keys(response.content ?? {})) responseTypes.add(type);
  return [...responseTypes].filter((type) => !requestTypes.has(type));
}

/**
 * fastify-openapi-glue checks that a body parser exists for every media type of the document,
 * response types included, and warns `ContentTypeParser for '…' not found` at each start. No request
 * may carry those types, so they get a parser that refuses them with the same 415 an unknown type gets:
 * the warning's cause is gone and requests behave as before.
 */
export function refuseResponseOnlyMediaTypes(app: FastifyInstance, document: OpenApiDocument): void {
  const types = responseOnlyMediaTypes(document).filter((type) => !app.hasContentTypeParser(type));
  if (types.length === 0) return;
  app.addContentTypeParser(types, (_request, _payload, done) =>
    done(new ApiError('unsupported_media_type', 'No operation takes a body of this media type.'), undefined),
  );
}
