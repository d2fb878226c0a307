import type { MetadataStore } from '../../src/storage/metadata-store.js';

/** A session with a callback and its pending `evt-<sessionId>` delivery, due at `nextAttemptAt`. */
export async function createPendingWebhook(
  store: MetadataStore,
  options: { sessionId: string; url: string; userId?: string; nextAttemptAt?: number; payload?: string },
): Promise<void> {
  const { sessionId, url } = options;
  await store.createSession({
    id: sessionId,
    userId: options.userId ?? 'u',
    ttlSeconds: 60,
    vendorData: null,
    callbackUrl: url,
    webhookSecret: 's',
    now: Date.now(),
  });
  await store.createWebhook({
    eventId: `evt-${sessionId}`,
    sessionId,
    url,
    payload: options.payload ?? '{}',
    status: 'pending',
    nextAttemptAt: options.nextAttemptAt ?? 0,
  });
}
