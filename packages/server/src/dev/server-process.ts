// Runs the built `face-encode-server` as a separate OS process, as a cluster runs it: the cluster test, the
// `pnpm cluster` launcher and the cluster benchmark all start their API and worker processes through here.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

// Resolved through the package's own name, so the path is the same from src (vitest) and from dist's chunks.
const packageRoot = dirname(createRequire(import.meta.url).resolve('@face-encode/server/package.json'));
/** The built entry point; `pnpm build` makes it. */
export const SERVER_BIN = join(packageRoot, 'dist', 'bin.js');

const READY_TIMEOUT_MS = 90_000;

export interface ServerProcess {
  child: ChildProcess;
  /** The API's URL, or the worker's metrics URL (empty without --metrics-port). */
  url: string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM by default) unless it has exited, and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `face-encode-server <args>` and resolves once it logs `readyMessage` with a URL
 * ("listening" for start, "workers running" for worker). Every JSON log line goes to `onLog`.
 */
export function spawnServer(
  args: string[],
  env: Record<string, string>,
  readyMessage: 'listening' | 'workers running',
  onLog?: (entry: Record<string, unknown>) => void,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args[0]} did not start in ${READY_TIMEOUT_MS / 1000} s: ${stderr}`)),
      READY_TIMEOUT_MS,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      onLog?.(entry);
      if (entry.msg !== readyMessage) return;
      clearTimeout(timer);
      // Nobody reads the log past the ready line: drain it unparsed (a benchmark's 10k lines/s cost CPU).
      if (!onLog) {
        lines.close();
        child.stdout?.resume();
      }
      const url = (entry.url ?? entry.metrics ?? '') as string;
      resolve({
        child,
        url,
        exited,
        kill(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with ${code} before it was ready: ${stderr}`));
    });
  });
}
