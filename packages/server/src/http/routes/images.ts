import { createHash, randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/error-catalog.js';
import type { ImageRecord, SessionRecord } from '../../storage/records.js';
import type { ImageReadOptions } from '../../storage/metadata-store.js';
import { checkDigests } from '../check-digests.js';
import { checkDirectUpload } from '../check-direct-upload.js';
import { sanitizeImageName } from '../image-name.js';
import type { ImageContentType } from '../image-type.js';
import { receiveUpload, type ReceivedImage } from '../receive-upload.js';
import { toApiImage } from '../to-api.js';
import { waitSeconds } from '../wait-param.js';
import {
  claimIdempotency,
  claimIdempotencyKey,
  IDEMPOTENCY_TTL_MS,
  reservationFingerprint,
} from '../upload-idempotency.js';
import { uploadLimits, userOf, type HandlerDeps } from './handler-deps.js';
import { sessionNotFound, tooManyImages } from './route-errors.js';

type ImageRequest = FastifyRequest<{
  Params: { session_id: string; image_id: string };
  Querystring: { include?: 'landmarks' };
}>;
type UploadRequest = FastifyRequest<{ Params: { session_id: string }; Querystring: { wait?: number } }>;
type ReserveRequest = FastifyRequest<{
  Params: { session_id: string };
  Body: {
    image_name?: string;
    content_type: ImageContentType;
    size_bytes: number;
    sha256: string;
    md5?: string;
  };
}>;
type CompleteRequest = FastifyRequest<{
  Params: { session_id: string; image_id: string };
  Querystring: { wait?: number };
}>;

const hexSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** uploadImage, getImage, and direct uploads: reserveUpload, completeUpload. */
export function imageRoutes(d: HandlerDeps) {
  const { config, store, blobs } = d;

  /** Cheap refusals before the body is read: a missing or expired session, or no slot left. */
  async function openSession(userId: string, sessionId: string, idemKey: string | undefined) {
    const session = await liveSession(userId, sessionId);
    if (session.imageCount < config.maxImages) return session;
    // A key already on record may replay its first response; any other is refused before the body is read.
    if (idemKey && (await store.hasIdempotency(userId, idemKey, d.now()))) return session;
    throw tooManyImages(config.maxImages);
  }

  /** The caller's session, refused when missing or expired. */
  async function liveSession(userId: string, sessionId: string) {
    const session = await store.getSession(userId, sessionId);
    if (!session) throw sessionNotFound(sessionId);
    if (session.expiresAt < d.now()) {
      throw new ApiError(
        'session_expired',
        `Session ${sessionId} expired at ${new Date(session.expiresAt).toISOString()}.`,
      );
    }
    return session;
  }

  /** The refusal of addImage or reserveImage, as the API answers it. */
  function slotRefused(
    session: SessionRecord,
    reason: 'session_not_found' | 'session_expired' | 'too_many_images',
  ) {
    if (reason === 'too_many_images') return tooManyImages(config.maxImages);
    if (reason === 'session_expired')
      return new ApiError('session_expired', `Session ${session.id} expired.`);
    return sessionNotFound(session.id);
  }

  /** The caller's image, or the 404 for a missing session or image. */
  async function ownImage(userId: string, sessionId: string, imageId: string, options?: ImageReadOptions) {
    const image = await store.getImage(userId, sessionId, imageId, options);
    if (image) return image;
    if (!(await store.getSession(userId, sessionId))) throw sessionNotFound(sessionId);
    throw new ApiError('image_not_found', `Image ${imageId} not found.`);
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
      blobSha256: hexSha256(upload.normalized),
      maxImages: config.maxImages,
      maxAttempts: config.maxAttempts,
      now: d.now(),
    });
    if (added.ok) return added;
    throw slotRefused(session, added.reason);
  }

  /** A direct upload that does not check out: its object goes and the image fails with the reason. */
  async function refuseUpload(image: ImageRecord, error: ApiError) {
    if (image.blobKey) await blobs.delete(image.blobKey);
    await store.finishImage({
      imageId: image.id,
      attemptKey: `${image.id}:complete`,
      now: d.now(),
      outcome: { status: 'failed', error: { code: error.code, message: error.message } },
    });
    await store.clearImageBlob(image.id);
    d.events.emitFinished(image.id);
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

  /** 201 with `body` at the image's URL; under an Idempotency-Key it is stored first, so a retry replays it. */
  async function created(
    reply: FastifyReply,
    image: ImageRecord,
    body: unknown,
    idemKey: string | undefined,
    replayed: boolean,
  ) {
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

  /** An upload's 201: the image. */
  const answer = (reply: FastifyReply, image: ImageRecord, idemKey: string | undefined, replayed: boolean) =>
    created(reply, image, toApiImage(image, { landmarks: false }), idemKey, replayed);

  /** A reservation's 201: the image id and where to send the bytes until it lapses. */
  const reserved = (
    reply: FastifyReply,
    image: ImageRecord,
    upload: { method: string; url: string; headers: Record<string, string> },
    idemKey: string | undefined,
    replayed: boolean,
  ) =>
    created(
      reply,
      image,
      {
        image_id: image.id,
        upload: { ...upload, expires_at: new Date(image.uploadExpiresAt ?? 0).toISOString() },
      },
      idemKey,
      replayed,
    );

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

    async reserveUpload(request: ReserveRequest, reply: FastifyReply) {
      const userId = userOf(request);
      const body = request.body;
      const idemKey = request.headers['idempotency-key'] as string | undefined;
      const session = await openSession(userId, request.params.session_id, idemKey);
      const { maxFileBytes } = uploadLimits(config);
      if (body.size_bytes > maxFileBytes)
        throw new ApiError('file_too_large', `The file is over the ${maxFileBytes / 2 ** 20} MiB limit.`);
      if (blobs.presignPut && !body.md5) {
        throw new ApiError(
          'validation_failed',
          'md5 is required: this server stores uploads in S3, which checks the Content-MD5 of the upload.',
        );
      }
      const sha256 = Buffer.from(body.sha256, 'base64').toString('hex');
      const imageName = body.image_name === undefined ? null : sanitizeImageName(body.image_name);
      let claimed = false;
      try {
        if (idemKey) {
          const claim = await claimIdempotencyKey(store, {
            userId,
            key: idemKey,
            sessionId: session.id,
            fingerprint: reservationFingerprint({
              sessionId: session.id,
              imageName,
              contentType: body.content_type,
              sizeBytes: body.size_bytes,
              sha256,
              md5: body.md5,
            }),
            now: d.now(),
          });
          if (claim.state === 'replay') {
            const first = JSON.parse(claim.body) as { image_id: string };
            return reply
              .code(claim.statusCode)
              .header('location', `/v1/image/${session.id}/${first.image_id}`)
              .header('idempotent-replayed', 'true')
              .type('application/json')
              .serializer((x: unknown) => x as string)
              .send(claim.body);
          }
          claimed = true;
          // The claimer crashed; if it got as far as reserving, that reservation (with a fresh URL) is the answer.
          const stored =
            claim.state === 'reclaimed' ? await storedReservation(userId, session.id, sha256) : null;
          if (stored?.blobKey && stored.uploadExpiresAt) {
            const target = await uploadTarget(request, stored.id, stored.blobKey, stored.uploadExpiresAt);
            return await reserved(reply, stored, target, idemKey, true);
          }
        }
        const id = randomUUID();
        const blobKey = `uploads/${id}`;
        const now = d.now();
        const expiresAt = now + config.uploadUrlTtlSeconds * 1000;
        // Signed before the slot is taken: a signing failure then costs no slot.
        const target = await uploadTarget(request, id, blobKey, expiresAt);
        const added = await store.reserveImage({
          id,
          userId,
          sessionId: session.id,
          imageName,
          contentType: body.content_type,
          sizeBytes: body.size_bytes,
          sha256,
          blobKey,
          maxImages: config.maxImages,
          now,
          uploadExpiresAt: expiresAt,
        });
        if (!added.ok) throw slotRefused(session, added.reason);
        return await reserved(reply, added.image, target, claimed ? idemKey : undefined, false);
      } finally {
        // Drops only an unfinished claim: a refused reservation may be retried under the same key.
        if (claimed && idemKey) await store.abandonIdempotency(userId, idemKey);
      }

      /** A crashed request's reservation of these bytes: still awaiting them, with the same SHA-256. */
      async function storedReservation(owner: string, sessionId: string, digest: string) {
        const images = await store.listImages(owner, sessionId);
        return (
          images.find(
            (i) =>
              i.status === 'awaiting_upload' &&
              i.sha256 === digest &&
              i.imageName === imageName &&
              (i.uploadExpiresAt ?? 0) > d.now(),
          ) ?? null
        );
      }

      /** Where the bytes go: a presigned S3 PUT, or this server's PUT /v1/uploads/{token}. */
      async function uploadTarget(req: ReserveRequest, id: string, blobKey: string, expiresAt: number) {
        const headers: Record<string, string> = { 'content-type': body.content_type };
        if (body.md5) headers['content-md5'] = body.md5;
        if (blobs.presignPut) {
          return blobs.presignPut({
            key: blobKey,
            sizeBytes: body.size_bytes,
            contentType: body.content_type,
            md5: body.md5 as string,
            expiresInSeconds: Math.max(1, Math.ceil((expiresAt - d.now()) / 1000)),
          });
        }
        const token = d.uploadTokens.sign({ imageId: id, expiresAt });
        return { method: 'PUT' as const, url: `${req.protocol}://${req.host}/v1/uploads/${token}`, headers };
      }
    },

    async completeUpload(request: CompleteRequest, reply: FastifyReply) {
      const userId = userOf(request);
      const { session_id, image_id } = request.params;
      await liveSession(userId, session_id);
      const image = await ownImage(userId, session_id, image_id);
      if (image.status !== 'awaiting_upload')
        throw new ApiError('upload_completed', `Image ${image_id} was completed already.`);
      if ((image.uploadExpiresAt ?? 0) < d.now()) {
        throw new ApiError(
          'upload_expired',
          `The upload of image ${image_id} expired at ${new Date(image.uploadExpiresAt ?? 0).toISOString()}.`,
        );
      }
      const uploaded = image.blobKey ? await blobs.get(image.blobKey) : null;
      if (!uploaded) {
        throw new ApiError(
          'upload_missing',
          `Nothing was uploaded for image ${image_id} yet: PUT the bytes to upload.url, then complete.`,
        );
      }
      let normalized: Buffer;
      try {
        normalized = await checkDirectUpload(uploaded, image, {
          maxPixels: config.maxPixels,
          maxStoredBytes: uploadLimits(config).maxFileBytes,
          decode: (run) => request.server.uploadGate.decode(run),
        });
      } catch (error) {
        if (error instanceof ApiError) await refuseUpload(image, error);
        throw error;
      }
      const blobKey = `images/${randomUUID()}`;
      await blobs.put(blobKey, normalized);
      const completed = await store.completeUpload({
        userId,
        sessionId: session_id,
        imageId: image_id,
        blobKey,
        blobSha256: hexSha256(normalized),
        maxAttempts: config.maxAttempts,
        now: d.now(),
      });
      if (!completed.ok) {
        // A concurrent complete (or cleanup) got there first.
        await blobs.delete(blobKey);
        throw new ApiError('upload_completed', `Image ${image_id} was completed already.`);
      }
      // The raw upload may carry EXIF: only the normalized copy is kept.
      if (image.blobKey) await blobs.delete(image.blobKey);
      await d.pipeline.enqueue(completed.job);
      const finished = await waitForImage(completed.image, request.query.wait ?? 0, reply);
      return reply.send(toApiImage(finished, { landmarks: false }));
    },

    async getImage(request: ImageRequest, reply: FastifyReply) {
      const { session_id, image_id } = request.params;
      const landmarks = request.query.include === 'landmarks';
      const image = await ownImage(userOf(request), session_id, image_id, { landmarks });
      return reply.send(toApiImage(image, { landmarks }));
    },
  };
}
