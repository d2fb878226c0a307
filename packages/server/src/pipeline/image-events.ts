import { EventEmitter } from 'node:events';

/**
 * Tells waiters (`?wait=` uploads) that an image finished, without polling. Adapters: this file's
 * `LocalImageEvents` (one process) and `redis-image-events.ts` (pub/sub, any number of processes).
 */
export interface ImageEvents {
  /** Announces that the image has its outcome (written before this is called). */
  emitFinished(imageId: string): void;
  /** Resolves true when the image finishes, false when `timeoutMs` passes or `signal` aborts. */
  waitFor(imageId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

/** Waiters of one process: an EventEmitter keyed by image id. */
export class LocalImageEvents implements ImageEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per waiting request; uploads are bounded by rate limits, not by this count.
    this.#emitter.setMaxListeners(0);
  }

  emitFinished(imageId: string): void {
    this.#emitter.emit(imageId);
  }

  /** How many requests wait for `imageId` here (adapters subscribe only while someone waits). */
  waiting(imageId: string): number {
    return this.#emitter.listenerCount(imageId);
  }

  waitFor(imageId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (finished: boolean) => {
        clearTimeout(timer);
        this.#emitter.off(imageId, onFinished);
        signal?.removeEventListener('abort', onAbort);
        resolve(finished);
      };
      const onFinished = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#emitter.on(imageId, onFinished);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}
