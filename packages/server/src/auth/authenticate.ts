import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors/error-catalog.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import { ApiKeyCache } from './api-key-cache.js';
import { hashApiKey } from './api-keys.js';
import type { KeyRevocations } from './key-revocations.js';
import { USER_ID } from './user-id.js';

/**
 * The caller's user id, or a 401 thrown (or rejected). Synchronous when it needs no I/O (demo mode, a
 * cached api key): the hook then runs without a promise on the hot path.
 */
export type Authenticator = (request: FastifyRequest) => string | Promise<string>;

function bearer(request: FastifyRequest): string | null {
  // Credentials come from the Authorization header only, never from the query string.
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

const unauthorized = (detail: string) =>
  new ApiError('unauthorized', detail, { headers: { 'www-authenticate': 'Bearer' } });

export interface AuthenticatorDeps {
  store: MetadataStore;
  /** Api-key mode: revocations to drop cached keys on; none leaves the cache TTL as the only bound. */
  revocations?: KeyRevocations;
  /** The clock of the key cache. Default Date.now. */
  now?: () => number;
}

/** Returns a function that resolves the caller's user id or throws 401, per the configured mode. */
export async function createAuthenticator(
  config: ServerConfig,
  deps: AuthenticatorDeps,
): Promise<Authenticator> {
  if (config.auth === 'none') throw new Error('Auth `none` has no authenticator: nothing is checked.');
  if (config.auth === 'demo') {
    return (request) => {
      const user = request.headers['user_id'];
      if (typeof user !== 'string' || !USER_ID.test(user)) {
        throw unauthorized('Demo mode: send a user_id header (letters, digits, . _ @ : -).');
      }
      return user;
    };
  }
  if (config.auth === 'jwt') {
    const JWT_CLOCK_SKEW_S = 30;
    let key: JWTVerifyGetKey | Uint8Array;
    if (config.jwksUrl) key = createRemoteJWKSet(new URL(config.jwksUrl));
    else if (config.jwtSecret) {
      key = new TextEncoder().encode(config.jwtSecret);
      // HS256 is only as strong as its secret (RFC 7518 §3.2: at least the hash size).
      if (key.byteLength < 32) throw new Error('--jwt-secret must be at least 32 bytes (HS256).');
    } else throw new Error('JWT auth needs a JWKS URL or a shared secret.');
    return async (request) => {
      const token = bearer(request);
      if (!token) throw unauthorized('Send Authorization: Bearer <JWT>.');
      try {
        const { payload } = await jwtVerify(token, key as Uint8Array, {
          issuer: config.jwtIssuer ?? undefined,
          audience: config.jwtAudience ?? undefined,
          // A token must expire, and is refused past the max age however far its exp is; clocks
          // may differ by the tolerance (an iat a little in the future passes).
          requiredClaims: ['exp'],
          maxTokenAge: config.jwtMaxAgeSeconds,
          clockTolerance: JWT_CLOCK_SKEW_S,
        });
        if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) throw new Error('no usable sub');
        return payload.sub;
      } catch {
        throw unauthorized('The token is invalid or expired.');
      }
    };
  }
  const { store, now = Date.now } = deps;
  const cache = new ApiKeyCache({ ttlMs: config.apiKeyCacheTtlMs });
  await deps.revocations?.subscribe((keyId) => cache.forget(keyId));
  const lookUp = async (hash: string) => {
    const key = await store.findApiKeyByHash(hash);
    if (!key) throw unauthorized('The API key is invalid or revoked.');
    cache.set(hash, key, now());
    return key.userId;
  };
  return (request) => {
    const token = bearer(request);
    if (!token) throw unauthorized('Missing credentials. Send Authorization: Bearer <api key>.');
    const hash = hashApiKey(token);
    return cache.get(hash, now()) ?? lookUp(hash);
  };
}
