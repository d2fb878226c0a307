import { Redis } from 'ioredis';
import { LocalImageEvents, type ImageEvents } from './image-events.js';

export interface RedisImageEventsOptions {
  /** Redis URL; two connections are opened (a subscriber cannot publish). */
  url: string;
  /** Channel prefix, shared by every process of a deployment. Default `face-encode`. */
  prefix?: string;
}

/**
 * `?wait=` across processes: a worker anywhere publishes "image finished" on one channel, and
 * every API process hands it to its local waiters. One channel for all images keeps subscriptions
 * constant; a message is only an image id (no data about the person).
 */
export class RedisImageEvents implements ImageEvents {
  readonly #local = new LocalImageEvents();
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #subscribed: Promise<unknown>;

  constructor(options: RedisImageEventsOptions) {
    this.#channel = `${options.prefix ?? 'face-encode'}:image-finished`;
    this.#pub = new Redis(options.url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.#sub = new Redis(options.url, { lazyConnect: false });
    // Errors are retried by ioredis; an unhandled 'error' event would crash the process.
    this.#pub.on('error', () => {});
    this.#sub.on('error', () => {});
    this.#sub.on('message', (_channel: string, imageId: string) => this.#local.emitFinished(imageId));
    this.#subscribed = this.#sub.subscribe(this.#channel);
  }

  /** Resolves once the subscription is live (a process should not answer `?wait=` before). */
  ready(): Promise<unknown> {
    return this.#subscribed;
  }

  emitFinished(imageId: string): void {
    // Our own subscriber hears it too, so local waiters are told the same way as remote ones.
    void this.#pub.publish(this.#channel, imageId).catch(() => {});
  }

  waitFor(imageId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#local.waitFor(imageId, timeoutMs, signal);
  }

  async close(): Promise<void> {
    await this.#local.close();
    this.#sub.disconnect();
    await this.#pub.quit().catch(() => {});
  }
}
