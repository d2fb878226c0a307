import type { ErrorCode, Problem } from './types.js';

/** The `code` of a FaceEncodeError: the server's catalog plus client-side failures. */
export type FaceEncodeErrorCode = ErrorCode | 'connection_error' | 'timeout' | 'aborted' | 'unknown';

/** Fields of a FaceEncodeError. */
export interface FaceEncodeErrorInit {
  /** HTTP status; undefined when no response arrived. */
  status?: number;
  /** Error code. Default `unknown`. */
  code?: FaceEncodeErrorCode;
  /** The server's request id. Default none. */
  requestId?: string;
  /** The problem body. Default none. */
  problem?: Problem;
  /** The underlying error. Default none. */
  cause?: unknown;
}

/** Every error the client throws. */
export class FaceEncodeError extends Error {
  // Set per class rather than from the constructor name, which minifiers rename.
  override name: string = 'FaceEncodeError';
  status: number | undefined;
  code: FaceEncodeErrorCode;
  requestId: string | undefined;
  problem: Problem | undefined;

  constructor(message: string, init: FaceEncodeErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code ?? 'unknown';
    this.requestId = init.requestId;
    this.problem = init.problem;
  }
}

/** 401: missing or invalid credentials. */
export class AuthenticationError extends FaceEncodeError {
  override name = 'AuthenticationError';
}
/** 404: no such session or image. */
export class NotFoundError extends FaceEncodeError {
  override name = 'NotFoundError';
}
/** 410: the session expired. */
export class SessionExpiredError extends FaceEncodeError {
  override name = 'SessionExpiredError';
}
/** 409 (idempotency key in flight) and 422 `idempotency_conflict` (key reused with another payload). */
export class ConflictError extends FaceEncodeError {
  override name = 'ConflictError';
}
/** 429: rate limited. */
export class RateLimitError extends FaceEncodeError {
  override name = 'RateLimitError';
  /** Seconds the server asked to wait (Retry-After). */
  retryAfter: number | undefined;
  constructor(message: string, init: FaceEncodeErrorInit & { retryAfter?: number } = {}) {
    super(message, init);
    this.retryAfter = init.retryAfter;
  }
}
/** 400, 413, 415, 422: the request was refused; `code` says why. */
export class ValidationError extends FaceEncodeError {
  override name = 'ValidationError';
}
/** 400 `too_many_images`: the session already holds 5 images. */
export class TooManyImagesError extends ValidationError {
  override name = 'TooManyImagesError';
}
/** 5xx. */
export class ServerError extends FaceEncodeError {
  override name = 'ServerError';
}
/** No response: the network failed. */
export class ConnectionError extends FaceEncodeError {
  override name = 'ConnectionError';
}
/** An attempt or a wait ran out of time. */
export class TimeoutError extends FaceEncodeError {
  override name = 'TimeoutError';
}
/** The caller's AbortSignal fired. */
export class AbortError extends FaceEncodeError {
  override name = 'AbortError';
}
