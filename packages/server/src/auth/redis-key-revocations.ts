import { Redis } from 'ioredis';
import { LocalKeyRevocations, type KeyRevocations } from './key-revocations.js';

export interface RedisKeyRevocationsOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** The deployment's key prefix; the channel is `<prefix>:api-key-revoked`. */
  prefix: string;
}

/**
 * Revocations over Redis pub/sub, so a key revoked by one process (or `keys revoke`) is dropped by every
 * API process's cache at once. The subscriber connection opens on the first subscribe, so a CLI that only
 * publishes opens one connection. A message lost while Redis is unreachable leaves the cache TTL as the bound.
 */
export class RedisKeyRevocations implements KeyRevocations {
  readonly #channel: string;
  readonly #url: string;
  readonly #publisher: Redis;
  #subscriber: Redis | null = null;
  // This process's own revocations are applied at once, before Redis echoes them.
  readonly #local = new LocalKeyRevocations();

  constructor(options: RedisKeyRevocationsOptions) {
    this.#url = options.url;
    this.#channel = `${options.prefix}:api-key-revoked`;
    this.#publisher = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      lazyConnect: true,
    });
    this.#publisher.on('error', () => {});
  }

  async publish(keyId: string): Promise<void> {
    await this.#local.publish(keyId);
    await this.#publisher.publish(this.#channel, keyId);
  }

  async subscribe(listener: (keyId: string) => void): Promise<void> {
    await this.#local.subscribe(listener);
    if (!this.#subscriber) {
      this.#subscriber = new Redis(this.#url, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
      this.#subscriber.on('error', () => {});
      await this.#subscriber.subscribe(this.#channel);
    }
    this.#subscriber.on('message', (channel: string, keyId: string) => {
      if (channel === this.#channel) listener(keyId);
    });
  }

  async close(): Promise<void> {
    await this.#local.close();
    await this.#subscriber?.quit().catch(() => {});
    if (this.#publisher.status === 'wait') this.#publisher.disconnect();
    else await this.#publisher.quit().catch(() => {});
  }
}
