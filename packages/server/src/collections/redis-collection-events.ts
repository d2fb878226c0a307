import { Redis } from 'ioredis';
import { LocalCollectionEvents, type CollectionEvents } from './collection-events.js';

export interface RedisCollectionEventsOptions {
  /** Redis URL; two connections are opened (a subscriber cannot publish). Required. */
  url: string;
  /** Channel prefix, shared by every process of a deployment. Default `face-encode`. */
  prefix?: string;
}

/**
 * Cache invalidation across API processes: a change publishes the collection id on one channel and
 * every process (this one too) drops its copy. When the subscription drops, every cached collection
 * is dropped on reconnect, since messages sent meanwhile are lost.
 */
export class RedisCollectionEvents implements CollectionEvents {
  readonly #local = new LocalCollectionEvents();
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #subscribed: Promise<unknown>;

  constructor(options: RedisCollectionEventsOptions) {
    this.#channel = `${options.prefix ?? 'face-encode'}:collection-changed`;
    this.#pub = new Redis(options.url, { maxRetriesPerRequest: 3 });
    this.#sub = new Redis(options.url);
    this.#pub.on('error', () => {});
    this.#sub.on('error', () => {});
    this.#sub.on('message', (_channel: string, id: string) => void this.#local.publishChanged(id));
    // After a reconnect, anything may have changed: `*` drops every cached collection.
    let connected = false;
    this.#sub.on('ready', () => {
      if (connected) void this.#local.publishChanged('*');
      connected = true;
    });
    this.#subscribed = this.#sub.subscribe(this.#channel);
  }

  /** Resolves once the subscription is live. */
  ready(): Promise<unknown> {
    return this.#subscribed;
  }

  async publishChanged(collectionId: string): Promise<void> {
    // Our own process first, so it never serves its stale copy while the message travels.
    await this.#local.publishChanged(collectionId);
    await this.#pub.publish(this.#channel, collectionId);
  }

  onChanged(listener: (collectionId: string) => void): void {
    this.#local.onChanged(listener);
  }

  async close(): Promise<void> {
    await this.#local.close();
    this.#sub.disconnect();
    await this.#pub.quit().catch(() => {});
  }
}
