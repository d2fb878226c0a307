/**
 * A named mutual-exclusion lock across every process of a deployment, for singleton duties (the
 * cleanup pass, the outbox relay). Adapters: `sqlite-cluster-lock.ts` (processes sharing one
 * database file) and `postgres-cluster-lock.ts` (advisory locks). Both pass
 * `test/coordination/cluster-lock.conformance.ts`.
 */
export interface ClusterLock {
  /**
   * Runs `fn` while holding `name`, or does nothing when another holder has it. Never waits for the
   * lock: a duty skipped now runs on the next tick.
   */
  tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<LockResult<T>>;
  close(): Promise<void>;
}

export type LockResult<T> = { ran: true; value: T } | { ran: false };
