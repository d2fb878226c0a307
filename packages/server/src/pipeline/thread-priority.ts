import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the CPU priority of the calling thread (not the process) by `niceness`, on Linux.
 *
 * Inference threads saturate every core; at equal priority the HTTP event loop waits its turn behind
 * them and API latency grows a long tail. Linux applies setpriority() to a single thread when given
 * its thread id, which /proc/thread-self names. Idle cores still go to inference, so throughput is
 * unchanged. Returns whether the priority was changed; elsewhere, or without permission, it is a no-op.
 */
export function lowerThreadPriority(niceness: number): boolean {
  if (process.platform !== 'linux' || niceness <= 0) return false;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    // Relative to the thread's current niceness (an operator may already run us under `nice`).
    setPriority(tid, Math.min(19, getPriority(tid) + niceness));
    return true;
  } catch {
    return false;
  }
}
