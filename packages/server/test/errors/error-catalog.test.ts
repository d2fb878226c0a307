import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ApiError, ERROR_CATALOG } from '../../src/errors/error-catalog.js';

const spec = parse(readFileSync(new URL('../../../../openapi/face-encode.yaml', import.meta.url), 'utf8'));

describe('error catalog', () => {
  it('lists exactly the codes of ErrorCode in the OpenAPI document', () => {
    const documented: string[] = spec.components.schemas.ErrorCode.enum;
    expect(Object.keys(ERROR_CATALOG).sort()).toEqual([...documented].sort());
  });

  it('gives each code a client or server error status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOG)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it('carries the catalog status unless overridden', () => {
    expect(new ApiError('session_not_found', 'gone').status).toBe(404);
    expect(new ApiError('idempotency_conflict', 'different payload', { status: 422 }).status).toBe(422);
  });

  it('captures a stack only for server errors: a client error is an answer, not a fault', () => {
    const frames = (e: Error) =>
      (e.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).length;
    expect(frames(new ApiError('session_not_found', 'gone'))).toBe(0);
    expect(frames(new ApiError('idempotency_conflict', 'in flight', { status: 409 }))).toBe(0);
    expect(frames(new ApiError('internal', 'broken'))).toBeGreaterThan(0);
    expect(frames(new ApiError('service_unavailable', 'later'))).toBeGreaterThan(0);
    // The process-wide limit is left as it was.
    expect(frames(new Error('plain'))).toBeGreaterThan(0);
  });
});
