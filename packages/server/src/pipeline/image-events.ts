import { EventEmitter } from 'node:events';

/**
 * Tells waiters (`?wait=` uploads) that an image finished, without polling. In-process for the
 * embedded server; a Redis pub/sub adapter can implement the same two methods for scale-out.
 */
export class ImageEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per waiting request; uploads are bounded by rate limits, not by this count.
    this.#emitter.setMaxListeners(0);
  }

  emitFinished(imageId: string): void {
    this.#emitter.emit(imageId);
  }

  /** Resolves true when the image finishes, false when `timeoutMs` passes or `signal` aborts. */
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
}
