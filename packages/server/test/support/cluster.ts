// Spawns the built server as separate OS processes (API and worker), as a cluster runs them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const run = promisify(execFile);

export interface ClusterProcess {
  child: ChildProcess;
  /** The API's URL, or the worker's metrics URL. */
  url: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `face-encode-server <args>` and resolves once it logs `readyMessage` with a URL
 * ("listening" for start, "workers running" for worker). Its log lines go to `onLog`.
 */
export function spawnServer(
  args: string[],
  env: Record<string, string>,
  readyMessage: 'listening' | 'workers running',
  onLog: (entry: Record<string, unknown>) => void = () => {},
): Promise<ClusterProcess> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start in 90 s: ${stderr}`)), 90_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      onLog(entry);
      if (entry.msg !== readyMessage) return;
      clearTimeout(timer);
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

/** Runs a one-shot command (cleanup, migrate, keys) and returns its stdout. */
export async function runServerCommand(args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return stdout;
}
