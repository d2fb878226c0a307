import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ERROR_CATALOG, type ErrorCode } from '../errors/error-catalog.js';
import { isStorageFull } from '../errors/storage-full.js';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  request_id: string;
  error: string;
  instance?: string;
  errors?: Array<{ path?: string; message: string }>;
}

export function problemBody(
  code: ErrorCode,
  status: number,
  detail: string,
  requestId: string,
  extra: Partial<ProblemBody> = {},
): ProblemBody {
  return {
    type: `https://face-encode.dev/problems/${code}`,
    title: ERROR_CATALOG[code].title,
    status,
    detail,
    code,
    request_id: requestId,
    error: detail,
    ...extra,
  };
}

/** Turns any error (ours, fastify's, a plugin's) into an RFC 9457 problem with a catalog code. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const e = error as FastifyError & {
    validation?: Array<{ instancePath?: string; message?: string; params?: unknown }>;
  };
  if (e.validation) {
    const context = (e as { validationContext?: string }).validationContext ?? 'request';
    const errors = e.validation.map((v) => ({
      path: `${context}${v.instancePath ?? ''}`,
      message: v.message ?? 'is invalid',
    }));
    return new ApiError('validation_failed', e.message || 'The request is invalid.', { errors });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('body_too_large', 'The request body is too large.');
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError('file_too_large', 'The file is over the size limit.');
    case 'FST_FILES_LIMIT':
      return new ApiError('validation_failed', 'Send exactly one file per request.');
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new ApiError('validation_failed', 'Too many form fields.');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ApiError('validation_failed', 'Send the image as multipart/form-data.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'Unsupported Content-Type for this endpoint.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('validation_failed', 'The JSON body is invalid.');
  }
  if (isStorageFull(error)) {
    return new ApiError(
      'storage_full',
      'The server is out of storage space. Delete sessions you no longer need, or retry later.',
    );
  }
  if (e.statusCode === 429) return new ApiError('rate_limited', e.message || 'Rate limit exceeded.');
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return new ApiError('body_too_large', e.message);
    return new ApiError('validation_failed', e.message, { status: e.statusCode });
  }
  return new ApiError('internal', 'An unexpected error occurred.');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  const body = problemBody(
    error.code,
    error.status,
    error.message,
    String(request.id),
    error.errors ? { errors: error.errors } : {},
  );
  return reply.code(error.status).type('application/problem+json').serializer(JSON.stringify).send(body);
}
