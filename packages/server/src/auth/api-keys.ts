import { hash, randomBytes, randomUUID } from 'node:crypto';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { KeyRevocations } from './key-revocations.js';
import { USER_ID, USER_ID_RULE } from './user-id.js';

/** Keys are only ever stored as this hash; the key itself is shown once. */
// crypto.hash is the one-shot form (no Hash object per call): it runs on every api-key request.
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** Creates a key for `userId`; returns the key (shown once) and its record. */
export async function createApiKey(store: MetadataStore, userId: string) {
  // A key for a user no request could name (an empty one, say) must not be made at all.
  if (!USER_ID.test(userId)) throw new Error(`A user id is ${USER_ID_RULE} (got ${JSON.stringify(userId)}).`);
  const key = `fe_${randomBytes(24).toString('base64url')}`;
  const record = await store.createApiKey({
    id: randomUUID(),
    userId,
    prefix: key.slice(0, 10),
    hash: hashApiKey(key),
  });
  return { key, record };
}

/**
 * Revokes the key with this id and announces it, so every API process's lookup cache drops it at once
 * (over Redis when configured). False when there is no active key with this id.
 */
export async function revokeApiKey(store: MetadataStore, revocations: KeyRevocations, id: string) {
  const revoked = await store.revokeApiKey(id);
  if (revoked) await revocations.publish(id);
  return revoked;
}
