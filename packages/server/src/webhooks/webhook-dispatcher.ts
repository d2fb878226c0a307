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
  /** Deliveries in flight at once, over all destinations. Default 32. */
  concurrency?: number;
  /** Deliveries in flight at once to one destination (scheme, host and port). Default 4. */
  perDestination?: number;
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
  #claiming: Promise<void> | null = null;
  #claimAgain = false;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #perDestination = new Map<string, number>();

  constructor(options: WebhookDispatcherOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#claim(), this.#o.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** Claims every due delivery there is room for and resolves once those have been sent once. */
  async runOnce(): Promise<void> {
    const before = new Set(this.#inFlight);
    await this.#claim();
    await Promise.all([...this.#inFlight].filter((d) => !before.has(d)));
  }

  /**
   * Claims due deliveries and starts them without waiting, so one hanging receiver holds up only its
   * own slot: the next tick claims again while it hangs. A claim already running is asked to go again.
   */
  #claim(): Promise<void> {
    if (this.#claiming) {
      this.#claimAgain = true;
      return this.#claiming;
    }
    this.#claiming = (async () => {
      try {
        do {
          this.#claimAgain = false;
          await this.#claimBatch();
        } while (this.#claimAgain);
      } catch (error) {
        this.#o.logger.error({ err: error }, 'webhook dispatch failed');
      } finally {
        this.#claiming = null;
      }
    })();
    return this.#claiming;
  }

  async #claimBatch(): Promise<void> {
    const room = (this.#o.concurrency ?? 32) - this.#inFlight.size;
    if (room <= 0) return;
    const now = (this.#o.now ?? Date.now)();
    // Claimed for longer than one attempt can take, so no other process sends them meanwhile.
    const lease = 2 * (this.#o.timeoutMs ?? 10_000) + 5000;
    const due = await this.#o.store.claimDueWebhooks(now, room, lease);
    const limit = this.#o.perDestination ?? 4;
    for (const hook of due) {
      const destination = destinationOf(hook.url);
      const open = this.#perDestination.get(destination) ?? 0;
      if (open >= limit) {
        // Its destination is busy: hand it back, due again at the next tick, and not counted as an
        // attempt. Deliveries that fell due meanwhile sort before it, so a backlog does not crowd them.
        await this.#o.store.updateWebhook(hook.eventId, {
          nextAttemptAt: now + (this.#o.intervalMs ?? 1000),
        });
        continue;
      }
      this.#perDestination.set(destination, open + 1);
      const delivery: Promise<void> = this.#deliver(hook)
        .catch((error: unknown) => this.#o.logger.error({ err: error }, 'webhook delivery failed'))
        .finally(() => {
          this.#inFlight.delete(delivery);
          const left = (this.#perDestination.get(destination) ?? 1) - 1;
          if (left > 0) this.#perDestination.set(destination, left);
          else this.#perDestination.delete(destination);
          // A slot is free: look for the next due delivery now rather than at the next tick.
          if (this.#timer) void this.#claim();
        });
      this.#inFlight.add(delivery);
    }
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
    await this.#claiming;
    await Promise.all(this.#inFlight);
  }
}

/** Where a delivery goes, for the per-destination limit: the URL's scheme, host and port. */
function destinationOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
