import {
  AuthenticationError,
  ConflictError,
  FaceEncodeError,
  NotFoundError,
  RateLimitError,
  ServerError,
  SessionExpiredError,
  TooManyImagesError,
  ValidationError,
  type FaceEncodeErrorInit,
} from './errors.js';
import { parseRetryAfter } from './retry-policy.js';
import type { Problem } from './types.js';

function asProblem(body: unknown): Problem | undefined {
  if (body && typeof body === 'object' && 'code' in body && typeof body.code === 'string')
    return body as Problem;
  return undefined;
}

/** Turns an error response (status, headers, parsed body) into the matching FaceEncodeError. */
export function errorFromResponse(response: Response, body: unknown): FaceEncodeError {
  const problem = asProblem(body);
  const status = response.status;
  const init: FaceEncodeErrorInit = {
    status,
    code: problem?.code ?? 'unknown',
    requestId: response.headers.get('x-request-id') ?? problem?.request_id,
    problem,
  };
  const message =
    problem?.error ?? problem?.detail ?? problem?.title ?? `HTTP ${status} ${response.statusText}`.trim();
  if (status === 401) return new AuthenticationError(message, init);
  if (status === 404) return new NotFoundError(message, init);
  if (status === 410) return new SessionExpiredError(message, init);
  if (status === 409 || (status === 422 && problem?.code === 'idempotency_conflict')) {
    return new ConflictError(message, init);
  }
  if (status === 429) {
    return new RateLimitError(message, {
      ...init,
      retryAfter: parseRetryAfter(response.headers.get('retry-after')),
    });
  }
  if (status === 400 && problem?.code === 'too_many_images') return new TooManyImagesError(message, init);
  if (status === 400 || status === 413 || status === 415 || status === 422)
    return new ValidationError(message, init);
  if (status >= 500) return new ServerError(message, init);
  return new FaceEncodeError(message, init);
}
