/**
 * The one catalog of coded errors, mirrored by `ErrorCode` in openapi/face-encode.yaml (a test keeps
 * them equal). Routes and the pipeline throw ApiError with a code; the error handler renders
 * application/problem+json from it.
 */
export const ERROR_CATALOG = {
  too_many_images: { status: 400, title: 'Too many images' },
  session_not_found: { status: 404, title: 'Session not found' },
  image_not_found: { status: 404, title: 'Image not found' },
  session_expired: { status: 410, title: 'Session expired' },
  file_too_large: { status: 413, title: 'File too large' },
  body_too_large: { status: 413, title: 'Body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  invalid_image: { status: 400, title: 'Invalid image' },
  too_many_faces: { status: 400, title: 'Too many faces' },
  encoding_failed: { status: 500, title: 'Encoding failed' },
  digest_mismatch: { status: 400, title: 'Digest mismatch' },
  idempotency_conflict: { status: 409, title: 'Idempotency conflict' },
  upload_missing: { status: 409, title: 'Upload missing' },
  upload_completed: { status: 409, title: 'Upload completed' },
  upload_expired: { status: 410, title: 'Upload expired' },
  upload_url_invalid: { status: 403, title: 'Upload URL invalid' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  rate_limited: { status: 429, title: 'Rate limited' },
  validation_failed: { status: 400, title: 'Validation failed' },
  collection_not_found: { status: 404, title: 'Collection not found' },
  collection_face_not_found: { status: 404, title: 'Collection face not found' },
  collection_full: { status: 409, title: 'Collection full' },
  session_not_completed: { status: 409, title: 'Session not completed' },
  no_face: { status: 400, title: 'No face' },
  model_mismatch: { status: 409, title: 'Model mismatch' },
  collections_unavailable: { status: 503, title: 'Collections unavailable' },
  not_found: { status: 404, title: 'Not found' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
  storage_full: { status: 507, title: 'Insufficient storage' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly errors: Array<{ path?: string; message: string }> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      status?: number;
      headers?: Record<string, string>;
      errors?: Array<{ path?: string; message: string }>;
    } = {},
  ) {
    // A few codes map to more than one status (idempotency_conflict: 409 in flight, 422 mismatch).
    const status = options.status ?? ERROR_CATALOG[code].status;
    // A client error is an answer, not a fault: no one reads its stack, and capturing one costs ~10 µs on
    // every 401, 404 or 429 (a flood of them included). Server errors keep theirs for the log.
    const limit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.headers = options.headers ?? {};
    this.errors = options.errors;
  }
}
