import { ApiError } from '../errors/error-catalog.js';

/** RFC 2046 §5.1.1: 1–70 characters of `bchars`, the last not a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

const malformed = (why: string) =>
  new ApiError('validation_failed', `The multipart/form-data body is malformed: ${why}.`);

/**
 * Checks the Content-Type's boundary before busboy sees the body: busboy throws plain errors (500s)
 * for a missing one and happily takes a duplicate or an over-long one.
 */
export function checkMultipartBoundary(contentType: string | undefined): void {
  const params = (contentType ?? '').split(';').slice(1);
  const boundaries = params
    .map((p) => p.trim())
    .filter((p) => p.toLowerCase().startsWith('boundary='))
    .map((p) => p.slice('boundary='.length).replace(/^"(.*)"$/, '$1'));
  if (boundaries.length === 0) throw malformed('the Content-Type has no boundary');
  if (boundaries.length > 1) throw malformed('the Content-Type has more than one boundary');
  if (!BOUNDARY.test(boundaries[0]!))
    throw malformed('the boundary must be 1 to 70 characters of the RFC 2046 set');
}

/** Any error busboy raised while reading the parts, as the 400 it is. */
export const malformedMultipart = (error: unknown) =>
  malformed((error as Error).message?.replace(/\s+/g, ' ').slice(0, 200) || 'it could not be parsed');
