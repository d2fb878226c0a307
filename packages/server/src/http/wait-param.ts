import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors/error-catalog.js';

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * `?wait=` as the spec has it: one plain decimal integer. ajv's coercion would also take `0x10`,
 * `1e1` or `+5` (Number() does), and leaves `wait[]=1` as an unknown parameter; both are refused
 * here from the raw query string. The range (0–30) is the schema's, checked before this.
 */
export function waitSeconds(request: FastifyRequest): number {
  const query = new URLSearchParams(request.url.split('?')[1] ?? '');
  const keys = [...query.keys()].filter((key) => /^wait($|\[)/.test(key));
  if (keys.length === 0) return 0;
  const [value] = query.getAll('wait');
  if (keys.length > 1 || keys[0] !== 'wait' || value === undefined || !DECIMAL.test(value)) {
    throw new ApiError('validation_failed', 'wait must be one whole number of seconds, 0 to 30.', {
      errors: [{ path: 'querystring/wait', message: 'must be a decimal integer given once' }],
    });
  }
  return Number(value);
}
