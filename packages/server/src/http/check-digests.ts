import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors/error-catalog.js';

/** Checks Content-Digest (sha-256) and Content-MD5 against the received bytes. */
export function checkDigests(request: FastifyRequest, sha256Hex: string, md5B64: string | null): void {
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
