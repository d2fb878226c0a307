import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../../config.js';
import { EncoderError } from '../../encoder/encoder-error.js';
import { ApiError } from '../../errors/error-catalog.js';
import { receiveUpload } from '../receive-upload.js';
import { uploadLimits, type SelfieEncoder } from './handler-deps.js';

/** An encoder failure as the API reports it. */
export const toEncoderApiError = (error: unknown) => {
  if (!(error instanceof EncoderError)) return error;
  return new ApiError(error.code === 'invalid_image' ? 'invalid_image' : 'encoding_failed', error.message);
};

/** encodeSelfie: synchronous, nothing stored. */
export function selfieRoutes(d: { config: ServerConfig; encoder: SelfieEncoder }) {
  const { config } = d;
  return {
    async encodeSelfie(request: FastifyRequest, reply: FastifyReply) {
      const upload = await receiveUpload(request, { ...uploadLimits(config), withName: false });
      const abort = new AbortController();
      // The response closes early only when the client goes away; then stop waiting.
      reply.raw.once('close', () => abort.abort());
      // Nothing of a synchronous encode is kept: the normalized bytes go straight to a worker.
      const result = await d.encoder.encodeNow(upload.normalized, { signal: abort.signal }).catch((error) => {
        throw toEncoderApiError(error);
      });
      if (result.faces.length > config.maxFaces) {
        throw new ApiError(
          'too_many_faces',
          `Found ${result.faces.length} faces. Limit is ${config.maxFaces} faces per image.`,
        );
      }
      return reply.send(result.faces.map((f) => f.encoding));
    },
  };
}
