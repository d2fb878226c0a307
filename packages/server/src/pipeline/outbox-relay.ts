import type { Logger } from 'pino';
import type { ClusterLock } from '../coordination/cluster-lock.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { MetadataStore, OutboxEntry } from '../storage/metadata-store.js';

export interface OutboxRelayOptions {
  store: MetadataStore;
  queue: JobQueue;
  /** Runs the sweep on one process of the cluster at a time. */
  lock: ClusterLock;
  logger: Logger;
  /** How often the sweep looks for entries nobody published, in ms; 0 disables it. Default 1000. */
  intervalMs?: number;
  /** Entries younger than this are left to the process that wrote them, in ms. Default 2000. */
  graceMs?: number;
  /** Entries per sweep at most. Default 500. */
  batch?: number;
  now?: () => number;
}

/**
 * Publishes the metadata store's outbox to the job queue. The process that records an upload
 * publishes its entry at once (`publish`); the sweep, under a cluster lock, publishes whatever a
 * crash left behind. Publishing is at-least-once and the queue is idempotent by image id, so a
 * race between the two costs nothing.
 */
export class OutboxRelay {
  readonly #o: OutboxRelayOptions;
  #timer: NodeJS.Timeout | null = null;
  #sweeping: Promise<number> | null = null;

  constructor(options: OutboxRelayOptions) {
    this.#o = options;
  }

  start(): void {
    const interval = this.#o.intervalMs ?? 1000;
    if (interval <= 0 || this.#timer) return;
    this.#timer = setInterval(() => void this.sweepOnce(), interval);
    this.#timer.unref();
  }

  /** Publishes entries just recorded; a failure is logged and left to the sweep. */
  async publish(entries: OutboxEntry[]): Promise<void> {
    try {
      for (const entry of entries) await this.#o.queue.enqueue(entry);
      await this.#o.store.ackOutbox(entries.map((e) => e.imageId));
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'publishing to the queue failed; the outbox sweep retries');
    }
  }

  /** One sweep, if this process gets the lock. Returns how many entries it published. */
  sweepOnce(): Promise<number> {
    this.#sweeping ??= (async () => {
      try {
        const result = await this.#o.lock.tryWithLock('outbox-relay', () => this.#sweep());
        return result.ran ? result.value : 0;
      } catch (error) {
        this.#o.logger.error({ err: error }, 'outbox sweep failed');
        return 0;
      } finally {
        this.#sweeping = null;
      }
    })();
    return this.#sweeping;
  }

  async #sweep(): Promise<number> {
    const now = (this.#o.now ?? Date.now)();
    const due = await this.#o.store.pendingOutbox(now - (this.#o.graceMs ?? 2000), this.#o.batch ?? 500);
    if (due.length === 0) return 0;
    for (const entry of due) await this.#o.queue.enqueue(entry);
    await this.#o.store.ackOutbox(due.map((e) => e.imageId));
    this.#o.logger.info({ published: due.length }, 'outbox sweep published jobs');
    return due.length;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#sweeping;
  }
}
