import { createHash } from 'node:crypto';
import { ApiError } from '../errors/error-catalog.js';
import type { MetadataStore } from '../storage/metadata-store.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/**
 * An unfinished claim outlives its request by this much at most (the request's own `wait` is added):
 * past it the claimer is taken to have crashed, so a retry is not refused with 409 for a whole day.
 */
const IDEMPOTENCY_LEASE_MS = 60_000;

export interface IdempotentUpload {
  userId: string;
  key: string;
  sessionId: string;
  sha256: string;
  imageName: string | null;
  wait: number;
  now: number;
}

export type IdempotencyClaim =
  | { state: 'new' }
  /** A crashed claim with this payload was taken over: its image may already be stored. */
  | { state: 'reclaimed' }
  | { state: 'replay'; statusCode: number; body: string };

/** What identifies an upload's payload under one key. */
export const idempotencyRequestHash = (
  u: Pick<IdempotentUpload, 'sessionId' | 'sha256' | 'imageName' | 'wait'>,
) =>
  createHash('sha256')
    .update(JSON.stringify([u.sessionId, u.sha256, u.imageName, u.wait]))
    .digest('hex');

/** What identifies a direct-upload reservation's payload under one key (sha256 as hex). */
export const reservationFingerprint = (r: {
  sessionId: string;
  imageName: string | null;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  md5: string | undefined;
}) => ['reserve', r.sessionId, r.imageName, r.contentType, r.sizeBytes, r.sha256, r.md5 ?? null];

/** The stored hash of a request's fingerprint. */
export const fingerprintHash = (fingerprint: unknown[]) =>
  createHash('sha256').update(JSON.stringify(fingerprint)).digest('hex');

/** Any idempotent POST: `fingerprint` is what must match for a replay; `sessionId` owns the record. */
export interface IdempotentRequest {
  userId: string;
  key: string;
  sessionId: string;
  fingerprint: unknown[];
  /** How long an unfinished claim holds before a retry may take it over. Default the base lease. */
  leaseMs?: number;
  now: number;
}

/** Claims an Idempotency-Key for this upload's payload; the lease covers the request's wait. */
export function claimIdempotency(store: MetadataStore, u: IdempotentUpload): Promise<IdempotencyClaim> {
  return claimIdempotencyKey(store, {
    ...u,
    fingerprint: [u.sessionId, u.sha256, u.imageName, u.wait],
    leaseMs: IDEMPOTENCY_LEASE_MS + u.wait * 1000,
  });
}

/**
 * Claims an Idempotency-Key for a request's fingerprint. A finished request replays; a different payload
 * (422) or a request still in flight (409, retry shortly) is refused.
 */
export async function claimIdempotencyKey(
  store: MetadataStore,
  u: IdempotentRequest,
): Promise<IdempotencyClaim> {
  const requestHash = fingerprintHash(u.fingerprint);
  const claim = await store.beginIdempotency({
    userId: u.userId,
    key: u.key,
    sessionId: u.sessionId,
    requestHash,
    ttlMs: IDEMPOTENCY_TTL_MS,
    leaseMs: u.leaseMs ?? IDEMPOTENCY_LEASE_MS,
    now: u.now,
  });
  if (claim.state === 'mismatch') {
    throw new ApiError('idempotency_conflict', 'This Idempotency-Key was used with a different payload.', {
      status: 422,
    });
  }
  if (claim.state === 'in_flight') {
    throw new ApiError(
      'idempotency_conflict',
      'A request with this Idempotency-Key is still in flight. Retry shortly.',
      { status: 409, headers: { 'retry-after': '1' } },
    );
  }
  return claim;
}
