/** The data of a call next to the HTTP response it came in (the last attempt's, after retries). */
export interface WithResponse<T> {
  data: T;
  /** The raw `Response`: status, `x-request-id`, `RateLimit` / `RateLimit-Policy`, `Location`, … Its body is read. */
  response: Response;
  /** The server's `x-request-id` for the call (what support asks for), or null when it sent none. */
  requestId: string | null;
}

/**
 * What each single-request method returns: a Promise of the data that can also give the response,
 * as openai-node's APIPromise does: `await client.getSession(id)` is the summary,
 * `await client.getSession(id).withResponse()` is `{ data, response, requestId }`.
 */
export class ApiPromise<T> extends Promise<T> {
  readonly #result: Promise<WithResponse<T>>;
  #data: Promise<T> | undefined;

  constructor(result: Promise<WithResponse<T>>) {
    // The base promise is never used: every then/catch/finally goes to `result`, so a call whose
    // caller only asks for `withResponse()` leaves no second, unhandled rejection behind.
    super((resolve) => resolve(undefined as T));
    this.#result = result;
  }

  // then() and friends return plain Promises, not ApiPromises.
  static override get [Symbol.species]() {
    return Promise;
  }

  /** The data together with the final `Response` and its request id. */
  withResponse(): Promise<WithResponse<T>> {
    return this.#result;
  }

  #parsed(): Promise<T> {
    this.#data ??= this.#result.then((r) => r.data);
    return this.#data;
  }

  override then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#parsed().then(onfulfilled, onrejected);
  }

  override catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#parsed().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#parsed().finally(onfinally);
  }
}

/** Wraps a call that resolves to its data and response. */
export function withResponse<T>(data: T, response: Response): WithResponse<T> {
  return { data, response, requestId: response.headers.get('x-request-id') };
}
