import type { FastifyReply, FastifyRequest } from 'fastify';
import { DOCS_CSP, docsAsset, docsPage, type DocsAsset } from '../api-reference.js';
import type { OperationDeps } from './handler-deps.js';

interface Check {
  ok: boolean;
  detail?: string;
}

const check = (f: () => Promise<void>): Promise<Check> =>
  f().then(
    () => ({ ok: true }),
    (e: Error) => ({ ok: false, detail: e.message }),
  );

/** getHealth, getReadiness, getMetrics, getOpenApi, getDocs, getDocsAsset: public, no user. */
export function operationRoutes(d: OperationDeps) {
  return {
    async getHealth(_request: FastifyRequest, reply: FastifyReply) {
      return reply.send({ status: 'ok' });
    },

    async getReadiness(_request: FastifyRequest, reply: FastifyReply) {
      const entries = await Promise.all(
        Object.entries(d.readiness).map(async ([name, probe]) => [name, await check(probe)] as const),
      );
      const checks = Object.fromEntries(entries);
      const ready = entries.every(([, c]) => c.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },

    async getMetrics(_request: FastifyRequest, reply: FastifyReply) {
      return reply.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
    },

    async getOpenApi(_request: FastifyRequest, reply: FastifyReply) {
      return reply.type('application/json').serializer(JSON.stringify).send(d.document);
    },

    async getDocs(_request: FastifyRequest, reply: FastifyReply) {
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', DOCS_CSP)
        .header('x-content-type-options', 'nosniff')
        .send(docsPage(d.document.info as { title: string; version: string }));
    },

    async getDocsAsset(request: FastifyRequest<{ Params: { asset: DocsAsset } }>, reply: FastifyReply) {
      return reply
        .type('text/javascript; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=3600')
        .send(docsAsset(request.params.asset));
    },
  };
}
