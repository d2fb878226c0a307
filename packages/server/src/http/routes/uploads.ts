import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/error-catalog.js';
import { holdUntilDone } from '../upload-gate.js';
import type { HandlerDeps } from './handler-deps.js';

type PutUploadRequest = FastifyRequest<{ Params: { token: string }; Body: Readable }>;

const invalid = (why: string) => new ApiError('upload_url_invalid', `This upload URL ${why}.`);

/**
 * putUpload: the direct-upload target when blobs live in files. The signed token is the credential
 * (no other authentication), bound to one reservation (its upload key, size and SHA-256), and good
 * until the reservation lapses; once an object is there, the URL is spent.
 */
export function uploadRoutes(d: Pick<HandlerDeps, 'store' | 'blobs' | 'uploadTokens' | 'now'>) {
  const { store, blobs } = d;
  return {
    async putUpload(request: PutUploadRequest, reply: FastifyReply) {
      const grant = d.uploadTokens.verify(request.params.token);
      if (!grant) throw invalid('is not valid');
      if (grant.expiresAt < d.now()) throw invalid(`expired at ${new Date(grant.expiresAt).toISOString()}`);
      const image = await store.getImageForJob(grant.imageId);
      if (!image || image.status !== 'awaiting_upload' || !image.blobKey)
        throw invalid('was used already, or its image is gone');
      const { blobKey, sizeBytes } = image;
      if (await blobs.get(blobKey)) throw invalid('was used already');
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > sizeBytes) throw tooLarge(sizeBytes);
      holdUntilDone(request, request.server.uploadGate.admit(sizeBytes));

      const sha256 = createHash('sha256');
      const md5 = createHash('md5');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        // Leaving the loop destroys the stream: a body over the declared size is refused as it arrives.
        if (size > sizeBytes) throw tooLarge(sizeBytes);
        sha256.update(chunk);
        md5.update(chunk);
        chunks.push(chunk);
      }
      const contentMd5 = request.headers['content-md5'];
      if (
        size !== sizeBytes ||
        sha256.digest('hex') !== image.sha256 ||
        (typeof contentMd5 === 'string' && md5.digest('base64') !== contentMd5)
      ) {
        throw new ApiError(
          'digest_mismatch',
          'The body does not match the size and digests it was reserved with.',
        );
      }
      await blobs.put(blobKey, Buffer.concat(chunks, size));
      return reply.code(204).send();
    },
  };
}

const tooLarge = (size: number) =>
  new ApiError('file_too_large', `The body is over the ${size} bytes this upload was reserved for.`);
