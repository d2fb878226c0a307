import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config.js';
import { EncoderError } from '../encoder/encoder-error.js';
import { ApiError } from '../errors/error-catalog.js';
import type { ImageEvents } from '../pipeline/image-events.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { buildSummary } from '../pipeline/session-summary.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { AppMetrics } from './metrics.js';
import { renderDocsPage } from './docs-page.js';
import type { OpenApiDocument } from './openapi-document.js';
import { receiveUpload } from './receive-upload.js';
import { toApiImage, toApiSession, toApiWebhook } from './to-api.js';

export interface HandlerDeps {
  config: ServerConfig;
  store: MetadataStore;
  blobs: BlobStore;
  queue: JobQueue;
  events: ImageEvents;
  pipeline: Pipeline;
  metrics: AppMetrics;
  document: OpenApiDocument;
  now: () => number;
}

type Req = FastifyRequest<{
  Params: { session_id: string; image_id: string };
  Querystring: { include?: 'landmarks'; wait?: number; limit?: number; cursor?: string; status?: string };
  Body: { vendor_data?: string; callback_url?: string; ttl_seconds?: number } | undefined;
}>;

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

const userOf = (request: FastifyRequest) => (request as FastifyRequest & { userId: string }).userId;

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    if (typeof createdAt === 'number' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through
  }
  throw new ApiError('validation_failed', 'The cursor is invalid; pass next_cursor from the previous page.');
}

/** Checks Content-Digest (sha-256) and Content-MD5 against the received bytes. */
function checkDigests(request: FastifyRequest, sha256Hex: string, md5B64: string): void {
  const digest = request.headers['content-digest'];
  if (typeof digest === 'string' && digest) {
    const match = /sha-256=:([A-Za-z0-9+/=]+):/i.exec(digest);
    if (!match)
      throw new ApiError(
        'validation_failed',
        'Content-Digest must carry a sha-256 value: sha-256=:<base64>:.',
      );
    if (Buffer.from(match[1] as string, 'base64').toString('hex') !== sha256Hex) {
      throw new ApiError('digest_mismatch', 'Content-Digest does not match the uploaded file.');
    }
  }
  const md5 = request.headers['content-md5'];
  if (typeof md5 === 'string' && md5 && md5 !== md5B64) {
    throw new ApiError('digest_mismatch', 'Content-MD5 does not match the uploaded file.');
  }
}

/** The handlers of the OpenAPI operations, by operationId. */
export function createServiceHandlers(d: HandlerDeps) {
  const { config, store, blobs } = d;
  const sessionNotFound = (id: string) => new ApiError('session_not_found', `Session ${id} not found.`);

  async function summaryOf(userId: string, sessionId: string, landmarks: boolean) {
    const session = await store.getSession(userId, sessionId);
    if (!session) throw sessionNotFound(sessionId);
    const images = await store.listImages(userId, sessionId);
    return {
      ...toApiSession(session, d.now(), config.maxImages),
      images: images.map((i) => toApiImage(i, { landmarks })),
      summary: buildSummary(images, { threshold: config.threshold, fallbackModel: d.pipeline.model }),
      webhook: toApiWebhook(await store.getWebhook(sessionId)),
    };
  }

  return {
    async createSession(request: Req, reply: FastifyReply) {
      const body = request.body ?? {};
      const session = await store.createSession({
        id: randomUUID(),
        userId: userOf(request),
        ttlSeconds: body.ttl_seconds ?? 86_400,
        vendorData: body.vendor_data ?? null,
        callbackUrl: body.callback_url ?? null,
        webhookSecret: body.callback_url ? `whsec_${randomBytes(24).toString('base64url')}` : null,
        now: d.now(),
      });
      return reply
        .code(201)
        .header('location', `/v1/session/${session.id}`)
        .send({ ...toApiSession(session, d.now(), config.maxImages), webhook_secret: session.webhookSecret });
    },

    async getSession(request: Req, reply: FastifyReply) {
      return reply.send(
        await summaryOf(userOf(request), request.params.session_id, request.query.include === 'landmarks'),
      );
    },

    async deleteSession(request: Req, reply: FastifyReply) {
      const deleted = await store.deleteSession(userOf(request), request.params.session_id);
      if (!deleted) throw sessionNotFound(request.params.session_id);
      await d.queue.removeForImages(deleted.imageIds);
      for (const key of deleted.blobKeys) await blobs.delete(key);
      return reply.code(204).send();
    },

    async listSessions(request: Req, reply: FastifyReply) {
      const limit = request.query.limit ?? 20;
      const rows = await store.listSessions(userOf(request), {
        limit: limit + 1,
        cursor: request.query.cursor ? decodeCursor(request.query.cursor) : null,
        state: (request.query.status as 'open' | 'processing' | 'completed' | 'expired' | undefined) ?? null,
        now: d.now(),
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return reply.send({
        items: page.map((s) => toApiSession(s, d.now(), config.maxImages)),
        next_cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
      });
    },

    async getImage(request: Req, reply: FastifyReply) {
      const { session_id, image_id } = request.params;
      const userId = userOf(request);
      const image = await store.getImage(userId, session_id, image_id);
      if (!image) {
        if (!(await store.getSession(userId, session_id))) throw sessionNotFound(session_id);
        throw new ApiError('image_not_found', `Image ${image_id} not found.`);
      }
      return reply.send(toApiImage(image, { landmarks: request.query.include === 'landmarks' }));
    },

    async uploadImage(request: Req, reply: FastifyReply) {
      const userId = userOf(request);
      const sessionId = request.params.session_id;
      const wait = request.query.wait ?? 0;
      const idemKey = request.headers['idempotency-key'] as string | undefined;
      // Cheap refusals before reading the body.
      const session = await store.getSession(userId, sessionId);
      if (!session) throw sessionNotFound(sessionId);
      if (session.expiresAt < d.now()) {
        throw new ApiError(
          'session_expired',
          `Session ${sessionId} expired at ${new Date(session.expiresAt).toISOString()}.`,
        );
      }
      if (!idemKey && session.imageCount >= config.maxImages) {
        throw new ApiError(
          'too_many_images',
          `Too many images. Limit is ${config.maxImages} images per session.`,
        );
      }

      const upload = await receiveUpload(request, {
        maxFileBytes: Math.round(config.maxFileMb * 2 ** 20),
        maxPixels: config.maxPixels,
        withName: true,
      });
      const blobKey = `images/${randomUUID()}`;
      await blobs.put(blobKey, upload.normalized);
      let keep = false;
      let claimed = false;
      try {
        checkDigests(request, upload.sha256, upload.md5);
        if (idemKey) {
          const requestHash = createHash('sha256')
            .update(JSON.stringify([sessionId, upload.sha256, upload.imageName, wait]))
            .digest('hex');
          const claim = await store.beginIdempotency({
            userId,
            key: idemKey,
            sessionId,
            requestHash,
            ttlMs: IDEMPOTENCY_TTL_MS,
            now: d.now(),
          });
          if (claim.state === 'replay') {
            return reply
              .code(claim.statusCode)
              .header('idempotent-replayed', 'true')
              .type('application/json')
              .serializer((x: unknown) => x as string)
              .send(claim.body);
          }
          if (claim.state === 'mismatch') {
            throw new ApiError(
              'idempotency_conflict',
              'This Idempotency-Key was used with a different payload.',
              { status: 422 },
            );
          }
          if (claim.state === 'in_flight') {
            throw new ApiError(
              'idempotency_conflict',
              'A request with this Idempotency-Key is still in flight. Retry shortly.',
              {
                status: 409,
                headers: { 'retry-after': '1' },
              },
            );
          }
          claimed = true;
        }
        const added = await store.addImage({
          id: randomUUID(),
          userId,
          sessionId,
          imageName: upload.imageName,
          contentType: upload.contentType,
          sizeBytes: upload.sizeBytes,
          sha256: upload.sha256,
          blobKey,
          maxImages: config.maxImages,
          maxAttempts: config.maxAttempts,
          now: d.now(),
        });
        if (!added.ok) {
          if (added.reason === 'too_many_images') {
            throw new ApiError(
              'too_many_images',
              `Too many images. Limit is ${config.maxImages} images per session.`,
            );
          }
          if (added.reason === 'session_expired')
            throw new ApiError('session_expired', `Session ${sessionId} expired.`);
          throw sessionNotFound(sessionId);
        }
        keep = true;
        await d.pipeline.enqueue(added.job);
        let image = added.image;
        if (wait > 0) {
          const abort = new AbortController();
          // The response closes early only when the client goes away; then stop waiting.
          reply.raw.once('close', () => abort.abort());
          await d.events.waitFor(image.id, wait * 1000, abort.signal);
          image = (await store.getImage(userId, sessionId, image.id)) ?? image;
        }
        const body = toApiImage(image, { landmarks: false });
        if (claimed && idemKey) {
          await store.completeIdempotency(userId, idemKey, 201, JSON.stringify(body));
          claimed = false;
        }
        return reply.code(201).header('location', `/v1/image/${sessionId}/${image.id}`).send(body);
      } finally {
        if (!keep) await blobs.delete(blobKey);
        if (claimed && idemKey) await store.abandonIdempotency(userId, idemKey);
      }
    },

    async encodeSelfie(request: Req, reply: FastifyReply) {
      const upload = await receiveUpload(request, {
        maxFileBytes: Math.round(config.maxFileMb * 2 ** 20),
        maxPixels: config.maxPixels,
        withName: false,
      });
      // Nothing of a synchronous encode is kept: the normalized bytes go straight to a worker.
      const bytes = upload.normalized;
      const abort = new AbortController();
      // The response closes early only when the client goes away; then stop waiting.
      reply.raw.once('close', () => abort.abort());
      const result = await d.pipeline.encodeNow(bytes, { signal: abort.signal }).catch((error: unknown) => {
        if (error instanceof EncoderError) {
          throw new ApiError(
            error.code === 'invalid_image' ? 'invalid_image' : 'encoding_failed',
            error.message,
          );
        }
        throw error;
      });
      if (result.faces.length > config.maxFaces) {
        throw new ApiError(
          'too_many_faces',
          `Found ${result.faces.length} faces. Limit is ${config.maxFaces} faces per image.`,
        );
      }
      return reply.send(result.faces.map((f) => f.encoding));
    },

    async getHealth(_request: Req, reply: FastifyReply) {
      return reply.send({ status: 'ok' });
    },

    async getReadiness(_request: Req, reply: FastifyReply) {
      const check = async (f: () => Promise<void>) =>
        f().then(
          () => ({ ok: true }),
          (e: Error) => ({ ok: false, detail: e.message }),
        );
      const checks = {
        model: d.pipeline.ready ? { ok: true } : { ok: false, detail: 'loading' },
        store: await check(() => store.ping()),
        queue: await check(() => d.queue.ping()),
        blobs: await check(() => blobs.ping()),
      };
      const ready = Object.values(checks).every((c) => c.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },

    async getMetrics(_request: Req, reply: FastifyReply) {
      return reply.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
    },

    async getOpenApi(_request: Req, reply: FastifyReply) {
      return reply.type('application/json').serializer(JSON.stringify).send(d.document);
    },

    async getDocs(_request: Req, reply: FastifyReply) {
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(renderDocsPage(d.document));
    },
  };
}
