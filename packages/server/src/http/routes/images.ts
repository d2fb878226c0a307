import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/error-catalog.js';
import type { ImageRecord, SessionRecord } from '../../storage/records.js';
import { checkDigests } from '../check-digests.js';
import { receiveUpload, type ReceivedImage } from '../receive-upload.js';
import { toApiImage } from '../to-api.js';
import { waitSeconds } from '../wait-param.js';
import { claimIdempotency, IDEMPOTENCY_TTL_MS } from '../upload-idempotency.js';
import { uploadLimits, userOf, type HandlerDeps } from './handler-deps.js';
import { sessionNotFound, tooManyImages } from './route-errors.js';

type ImageRequest = FastifyRequest<{
  Params: { session_id: string; image_id: string };
  Querystring: { include?: 'landmarks' };
}>;
type UploadRequest = FastifyRequest<{ Params: { session_id: string }; Querystring: { wait?: number } }>;

/** uploadImage, getImage. */
export function imageRoutes(d: HandlerDeps) {
  const { config, store, blobs } = d;

  /** Cheap refusals before the body is read: a missing or expired session, or no slot left. */
  async function openSession(userId: string, sessionId: string, idemKey: string | undefined) {
    const session = await store.getSession(userId, sessionId);
    if (!session) throw sessionNotFound(sessionId);
    if (session.expiresAt < d.now()) {
      throw new ApiError(
        'session_expired',
        `Session ${sessionId} expired at ${new Date(session.expiresAt).toISOString()}.`,
      );
    }
    // With a key, a full session may still replay the first response.
    if (!idemKey && session.imageCount >= config.maxImages) throw tooManyImages(config.maxImages);
    return session;
  }

  async function addImage(session: SessionRecord, upload: ReceivedImage, blobKey: string) {
    const added = await store.addImage({
      id: randomUUID(),
      userId: session.userId,
      sessionId: session.id,
      imageName: upload.imageName,
      contentType: upload.contentType,
      sizeBytes: upload.sizeBytes,
      sha256: upload.sha256,
      blobKey,
      maxImages: config.maxImages,
      maxAttempts: config.maxAttempts,
      now: d.now(),
    });
    if (added.ok) return added;
    if (added.reason === 'too_many_images') throw tooManyImages(config.maxImages);
    if (added.reason === 'session_expired')
      throw new ApiError('session_expired', `Session ${session.id} expired.`);
    throw sessionNotFound(session.id);
  }

  /** The image a crashed request with this payload stored: the same bytes and name in the session. */
  async function storedUpload(userId: string, sessionId: string, upload: ReceivedImage) {
    const images = await store.listImages(userId, sessionId);
    return images.find((i) => i.sha256 === upload.sha256 && i.imageName === upload.imageName) ?? null;
  }

  async function waitForImage(image: ImageRecord, wait: number, reply: FastifyReply) {
    if (wait <= 0) return image;
    const abort = new AbortController();
    // The response closes early only when the client goes away; then stop waiting.
    reply.raw.once('close', () => abort.abort());
    const finished = d.events.waitFor(image.id, wait * 1000, abort.signal);
    // Listening first, then looking: an image finished before the listener was up is seen here.
    const now = await store.getImage(image.userId, image.sessionId, image.id);
    if (now?.status === 'done' || now?.status === 'failed') abort.abort();
    await finished;
    return (await store.getImage(image.userId, image.sessionId, image.id)) ?? image;
  }

  /** 201 with the image; under an Idempotency-Key the response is stored first, so a retry replays it. */
  async function answer(
    reply: FastifyReply,
    image: ImageRecord,
    idemKey: string | undefined,
    replayed: boolean,
  ) {
    const body = toApiImage(image, { landmarks: false });
    if (idemKey) {
      await store.completeIdempotency(
        image.userId,
        idemKey,
        201,
        JSON.stringify(body),
        d.now() + IDEMPOTENCY_TTL_MS,
      );
    }
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(201).header('location', `/v1/image/${image.sessionId}/${image.id}`).send(body);
  }

  return {
    async uploadImage(request: UploadRequest, reply: FastifyReply) {
      const userId = userOf(request);
      const sessionId = request.params.session_id;
      const wait = waitSeconds(request);
      const idemKey = request.headers['idempotency-key'] as string | undefined;
      const session = await openSession(userId, sessionId, idemKey);

      const upload = await receiveUpload(request, { ...uploadLimits(config), withName: true });
      const blobKey = `images/${randomUUID()}`;
      await blobs.put(blobKey, upload.normalized);
      let keep = false;
      let claimed = false;
      try {
        checkDigests(request, upload.sha256, upload.md5);
        if (idemKey) {
          const claim = await claimIdempotency(store, {
            userId,
            key: idemKey,
            sessionId,
            sha256: upload.sha256,
            imageName: upload.imageName,
            wait,
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
          claimed = true;
          // The claimer crashed; if it got as far as storing the image, that image is the answer.
          const stored = claim.state === 'reclaimed' ? await storedUpload(userId, sessionId, upload) : null;
          // A completed record is never abandoned, so `claimed` may stay set (abandon only drops in-flight ones).
          if (stored) return await answer(reply, stored, idemKey, true);
        }
        const added = await addImage(session, upload, blobKey);
        keep = true;
        await d.pipeline.enqueue(added.job);
        const image = await waitForImage(added.image, wait, reply);
        return await answer(reply, image, claimed ? idemKey : undefined, false);
      } finally {
        if (!keep) await blobs.delete(blobKey);
        if (claimed && idemKey) await store.abandonIdempotency(userId, idemKey);
      }
    },

    async getImage(request: ImageRequest, reply: FastifyReply) {
      const { session_id, image_id } = request.params;
      const userId = userOf(request);
      const image = await store.getImage(userId, session_id, image_id);
      if (!image) {
        if (!(await store.getSession(userId, session_id))) throw sessionNotFound(session_id);
        throw new ApiError('image_not_found', `Image ${image_id} not found.`);
      }
      return reply.send(toApiImage(image, { landmarks: request.query.include === 'landmarks' }));
    },
  };
}
