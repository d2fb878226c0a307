import { ApiError } from '../errors/error-catalog.js';

/**
 * Load shedding for uploads: a budget of body bytes buffered at once (each upload is held in memory
 * while it is hashed, checked and re-encoded) and a bound on images decoded at once (sharp's decode
 * of a few MB costs tens of MB and a core). Without it 150 concurrent uploads took RSS to 6 GB and
 * /healthz to a timeout; past the budget an upload is refused at once with 503 and Retry-After, in
 * the spirit of @fastify/under-pressure, so memory stays bounded and cheap requests stay fast.
 */
export class UploadGate {
  #bytes = 0;
  #decoding = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    private readonly maxBytes: number,
    private readonly maxDecodes: number,
  ) {}

  /** Reserves `bytes` of the budget, or throws 503. The returned release is idempotent. */
  admit(bytes: number): () => void {
    if (this.#bytes > 0 && this.#bytes + bytes > this.maxBytes) {
      throw new ApiError('service_unavailable', 'The server is busy with other uploads. Retry shortly.', {
        headers: { 'retry-after': '1' },
      });
    }
    this.#bytes += bytes;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#bytes -= bytes;
    };
  }

  /** Runs `decode` when fewer than maxDecodes are running; admitted uploads wait their turn. */
  async decode<T>(decode: () => Promise<T>): Promise<T> {
    while (this.#decoding >= this.maxDecodes) await new Promise<void>((r) => this.#waiting.push(r));
    this.#decoding += 1;
    try {
      return await decode();
    } finally {
      this.#decoding -= 1;
      this.#waiting.shift()?.();
    }
  }
}

/** Each admitted request's release, called when its response is done or the client went away. */
const held = new WeakMap<object, () => void>();

export function holdUntilDone(request: object, release: () => void): void {
  held.get(request)?.();
  held.set(request, release);
}

export function releaseHeld(request: object): void {
  held.get(request)?.();
  held.delete(request);
}
