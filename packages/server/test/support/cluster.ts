// Spawns the built server as separate OS processes (API and worker), as a cluster runs them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SERVER_BIN, spawnServer, type ServerProcess } from '../../src/dev/server-process.js';

export { spawnServer };
export type ClusterProcess = ServerProcess;

const run = promisify(execFile);

/** Runs a one-shot command (cleanup, migrate, keys) and returns its stdout. */
export async function runServerCommand(args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run(process.execPath, [SERVER_BIN, ...args], {
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return stdout;
}
