export interface StatementBatchOptions<I, O> {
  /** Runs every item in one statement (a write: all or nothing); resolves with one result per item, in their order. */
  all: (items: I[]) => Promise<O[]>;
  /** Runs one item alone: a lone item, and each item of a batch whose `all` failed. */
  one: (item: I) => Promise<O>;
  /** Most items in one `all`; more wait for the next. Default 100. */
  maxItems?: number;
  /**
   * Whether a failed batch's items are worth running alone: yes for an error one item can cause (a taken
   * key), no for one that would fail them all again (the database is unreachable). Default: always.
   */
  retryAlone?: (error: unknown) => boolean;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * The statements asked for in one turn of the event loop, sent as one: on a database server each statement is
 * a round trip (and, for a write, a commit), so 32 concurrent inserts or point reads cost a few instead of 32.
 * When a batch fails, its items can be run one by one, so only the item at fault (a duplicate key, say) is
 * rejected. Every promise settles only once its statement has completed (a write: committed) or failed.
 */
export class StatementBatch<I, O> {
  readonly #all: (items: I[]) => Promise<O[]>;
  readonly #one: (item: I) => Promise<O>;
  readonly #maxItems: number;
  readonly #retryAlone: (error: unknown) => boolean;
  #pending: Array<Pending<I, O>> = [];

  constructor(options: StatementBatchOptions<I, O>) {
    this.#all = options.all;
    this.#one = options.one;
    this.#maxItems = options.maxItems ?? 100;
    this.#retryAlone = options.retryAlone ?? (() => true);
  }

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Runs what waits now instead of at the end of the turn (a store does before it closes). */
  flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (let i = 0; i < pending.length; i += this.#maxItems)
      void this.#runBatch(pending.slice(i, i + this.#maxItems));
  }

  /** Settles every promise of the batch; never rejects itself. */
  async #runBatch(batch: Array<Pending<I, O>>): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.#all(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i] as O));
        return;
      } catch (error) {
        if (!this.#retryAlone(error)) {
          for (const p of batch) p.reject(error);
          return;
        }
        // Nothing of the batch took effect: run each alone, so only the failing ones are rejected.
      }
    }
    await Promise.all(batch.map((p) => this.#one(p.item).then(p.resolve, p.reject)));
  }
}
