import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildSummary } from '../../pipeline/session-summary.js';
import { generateWebhookSecret } from '../../webhooks/webhook-signature.js';
import { decodeCursor, encodeCursor } from '../session-cursor.js';
import { toApiImage, toApiSession, toApiWebhook } from '../to-api.js';
import { claimIdempotencyKey } from '../upload-idempotency.js';
import { userOf, type HandlerDeps } from './handler-deps.js';
import { sessionNotFound } from './route-errors.js';

type SessionState = 'open' | 'processing' | 'completed' | 'expired';
type CreateRequest = FastifyRequest<{
  Body: { vendor_data?: string; callback_url?: string; ttl_seconds?: number } | undefined;
}>;
type SessionRequest = FastifyRequest<{
  Params: { session_id: string };
  Querystring: { include?: 'landmarks' };
}>;
type ListRequest = FastifyRequest<{ Querystring: { limit?: number; cursor?: string; status?: string } }>;

/** createSession, getSession, deleteSession, listSessions. */
export function sessionRoutes(d: HandlerDeps) {
  const { config, store, blobs } = d;

  async function summaryOf(userId: string, sessionId: string, landmarks: boolean) {
    const session = await store.getSession(userId, sessionId);
    if (!session) throw sessionNotFound(sessionId);
    // No read for what the session row says cannot exist: images when it counts none, a webhook
    // without a callback URL (the pipeline creates one only for a session with one).
    const images = session.imageCount > 0 ? await store.listImages(userId, sessionId, { landmarks }) : [];
    const webhook = session.callbackUrl ? await store.getWebhook(sessionId) : null;
    return {
      ...toApiSession(session, d.now(), config.maxImages),
      images: images.map((i) => toApiImage(i, { landmarks })),
      summary: buildSummary(images, { threshold: config.threshold, fallbackModel: d.pipeline.model }),
      webhook: toApiWebhook(webhook),
    };
  }

  return {
    async createSession(request: CreateRequest, reply: FastifyReply) {
      const body = request.body ?? {};
      const userId = userOf(request);
      const id = randomUUID();
      const idemKey = request.headers['idempotency-key'] as string | undefined;
      if (idemKey) {
        // The record belongs to the session it creates, so deleting that session also forgets the key.
        const claim = await claimIdempotencyKey(store, {
          userId,
          key: idemKey,
          sessionId: id,
          fingerprint: ['createSession', body.vendor_data, body.callback_url, body.ttl_seconds],
          now: d.now(),
        });
        if (claim.state === 'replay') {
          const first = JSON.parse(claim.body) as { session_id: string };
          return reply
            .code(claim.statusCode)
            .header('location', `/v1/session/${first.session_id}`)
            .header('idempotent-replayed', 'true')
            .type('application/json')
            .serializer((x: unknown) => x as string)
            .send(claim.body);
        }
      }
      let session;
      try {
        session = await store.createSession({
          id,
          userId,
          ttlSeconds: body.ttl_seconds ?? 86_400,
          vendorData: body.vendor_data ?? null,
          callbackUrl: body.callback_url ?? null,
          webhookSecret: body.callback_url ? generateWebhookSecret() : null,
          now: d.now(),
        });
      } catch (error) {
        if (idemKey) await store.abandonIdempotency(userId, idemKey);
        throw error;
      }
      const created = {
        ...toApiSession(session, d.now(), config.maxImages),
        webhook_secret: session.webhookSecret,
      };
      if (idemKey) await store.completeIdempotency(userId, idemKey, 201, JSON.stringify(created));
      return reply.code(201).header('location', `/v1/session/${session.id}`).send(created);
    },

    async getSession(request: SessionRequest, reply: FastifyReply) {
      return reply.send(
        await summaryOf(userOf(request), request.params.session_id, request.query.include === 'landmarks'),
      );
    },

    async deleteSession(request: SessionRequest, reply: FastifyReply) {
      const erase = () => store.deleteSession(userOf(request), request.params.session_id);
      // On a full disk SQLite needs room to delete: the disk's reserve is given up for it.
      const deleted = await (d.disk ? d.disk.withReserve(erase) : erase());
      if (!deleted) throw sessionNotFound(request.params.session_id);
      await d.queue.removeForImages(deleted.imageIds);
      for (const key of deleted.blobKeys) await blobs.delete(key);
      return reply.code(204).send();
    },

    async listSessions(request: ListRequest, reply: FastifyReply) {
      const limit = request.query.limit ?? 20;
      // One row more than the page says whether there is a next page.
      const rows = await store.listSessions(userOf(request), {
        limit: limit + 1,
        cursor: request.query.cursor ? decodeCursor(request.query.cursor) : null,
        state: (request.query.status as SessionState | undefined) ?? null,
        now: d.now(),
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return reply.send({
        items: page.map((s) => toApiSession(s, d.now(), config.maxImages)),
        next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
      });
    },
  };
}
