import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { Agent, fetch as undiciFetch } from 'undici';
import { backoffDelay } from '../queue/retry-backoff.js';
import type { MetadataStore } from '../storage/metadata-store.js';
import type { WebhookRecord } from '../storage/records.js';
import { resolveWebhookTarget } from './ssrf-guard.js';
import { webhookHeaders } from './webhook-signature.js';

export interface WebhookDispatcherOptions {
  store: MetadataStore;
  logger: Logger;
  /** Allow private, loopback and link-local targets. Default false. */
  allowPrivate?: boolean;
  /** Attempts before a delivery is marked failed. Default 6. */
  maxAttempts?: number;
  /** Per-attempt timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** How often to look for due deliveries, in ms. Default 1000. */
  intervalMs?: number;
  /** Retry delays. Default base 2000 ms, max 300 000 ms. */
  backoff?: { baseMs: number; maxMs: number };
  /** The session's secret, looked up at send time. */
  secretFor: (sessionId: string) => Promise<string | null>;
  now?: () => number;
}

/**
 * Delivers `session.completed` events. Retries resend the same bytes with the same event id, so a
 * receiver can drop duplicates; redirects are not followed; private targets are refused by default.
 */
export class WebhookDispatcher {
  readonly #o: WebhookDispatcherOptions;
  #timer: NodeJS.Timeout | null = null;
  #busy: Promise<void> | null = null;

  constructor(options: WebhookDispatcherOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.runOnce(), this.#o.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Sends every due delivery once. */
  runOnce(): Promise<void> {
    this.#busy ??= (async () => {
      try {
        const now = (this.#o.now ?? Date.now)();
        // Claimed for longer than one attempt can take, so no other process sends them meanwhile;
        // sent concurrently, so one hanging receiver does not hold up the others.
        const lease = 2 * (this.#o.timeoutMs ?? 10_000) + 5000;
        const due = await this.#o.store.claimDueWebhooks(now, 20, lease);
        await Promise.all(due.map((hook) => this.#deliver(hook)));
      } catch (error) {
        this.#o.logger.error({ err: error }, 'webhook dispatch failed');
      } finally {
        this.#busy = null;
      }
    })();
    return this.#busy;
  }

  async #deliver(hook: WebhookRecord): Promise<void> {
    const now = (this.#o.now ?? Date.now)();
    const attempts = hook.attempts + 1;
    const url = new URL(hook.url);
    const target = await resolveWebhookTarget(url, this.#o.allowPrivate ?? false).catch(() => undefined);
    if (target === null) {
      await this.#o.store.updateWebhook(hook.eventId, {
        status: 'refused',
        attempts,
        lastAttemptAt: now,
        lastError: 'The callback URL resolves to a private, loopback or link-local address.',
      });
      return;
    }
    let statusCode: number | null = null;
    let error: string | null = null;
    let pinned: Agent | undefined;
    try {
      const secret = (await this.#o.secretFor(hook.sessionId)) ?? '';
      // Connect to the address that passed the check, so a second DNS answer cannot redirect the call
      // to a private address (DNS rebinding); TLS still verifies the URL's host name.
      const family = isIP(target as string) === 6 ? 6 : 4;
      pinned = new Agent({
        connect: {
          lookup: (_host, options, callback) => {
            const all = (options as { all?: boolean }).all;
            if (all)
              (callback as (e: null, a: LookupAddress[]) => void)(null, [
                { address: target as string, family },
              ]);
            else (callback as (e: null, a: string, f: number) => void)(null, target as string, family);
          },
        },
      });
      const response = await undiciFetch(url, {
        dispatcher: pinned,
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'face-encode-webhooks/1',
          ...webhookHeaders(secret, hook.eventId, hook.payload),
        },
        body: hook.payload,
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
      });
      statusCode = response.status;
      await response.body?.cancel();
      if (response.status < 200 || response.status >= 300) error = `HTTP ${response.status}`;
    } catch (e) {
      error = target === undefined ? 'The callback host could not be resolved.' : (e as Error).message;
    } finally {
      await pinned?.close().catch(() => {});
    }
    const delivered = error === null;
    const exhausted = attempts >= (this.#o.maxAttempts ?? 6);
    await this.#o.store.updateWebhook(hook.eventId, {
      status: delivered ? 'delivered' : exhausted ? 'failed' : 'pending',
      attempts,
      lastAttemptAt: now,
      lastStatusCode: statusCode,
      lastError: error,
      nextAttemptAt:
        delivered || exhausted
          ? null
          : now + backoffDelay(attempts, this.#o.backoff ?? { baseMs: 2000, maxMs: 300_000 }),
    });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#busy;
  }
}
