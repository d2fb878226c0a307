import { EventEmitter } from 'node:events';

/**
 * Tells every API process that a key was revoked, so each drops it from its lookup cache at once.
 * In-process by default; over Redis pub/sub when Redis is configured (redis-key-revocations.ts).
 */
export interface KeyRevocations {
  /** Announces that the key with this id was revoked. */
  publish(keyId: string): Promise<void>;
  /** Calls `listener` for every revocation announced (in this process or, over Redis, in any). */
  subscribe(listener: (keyId: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** Revocations within one process: the embedded server, where revoking goes through the same process. */
export class LocalKeyRevocations implements KeyRevocations {
  readonly #emitter = new EventEmitter();

  async publish(keyId: string): Promise<void> {
    this.#emitter.emit('revoked', keyId);
  }

  async subscribe(listener: (keyId: string) => void): Promise<void> {
    this.#emitter.on('revoked', listener);
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}
