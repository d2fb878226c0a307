import { ApiError } from '../errors/error-catalog.js';

export interface SessionCursor {
  createdAt: number;
  id: string;
}

/** An opaque page cursor: the last row's sort key. */
export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): SessionCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    if (typeof createdAt === 'number' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through
  }
  throw new ApiError('validation_failed', 'The cursor is invalid; pass next_cursor from the previous page.');
}
