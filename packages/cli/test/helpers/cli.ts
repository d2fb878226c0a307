import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra environment variables (on top of the isolated HOME). */
  env?: Record<string, string>;
  /** Called once the child runs (e.g. to send SIGINT). */
  onSpawn?: (child: ChildProcess) => void;
  /** Text for stdin; stdin is closed after it. */
  input?: string;
  /** Node options placed before the script (e.g. `--import`). */
  nodeOptions?: string[];
}

/** A temp HOME (and XDG config dir) per test, so conf never touches the real one. */
export class CliHome {
  readonly dir = mkdtempSync(join(tmpdir(), 'face-encode-cli-home-'));
  readonly configDir = join(this.dir, '.config');
  /** Where conf keeps the profiles. */
  readonly configFile = join(this.configDir, 'face-encode', 'config.json');

  constructor() {
    mkdirSync(this.configDir, { recursive: true });
  }

  /** Spawns the built `face-encode` binary, not on a TTY. */
  run(args: string[], options: RunOptions = {}): Promise<CliResult> {
    const child = spawn(process.execPath, [...(options.nodeOptions ?? []), BIN, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: this.dir,
        XDG_CONFIG_HOME: this.configDir,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(options.input ?? '');
    options.onSpawn?.(child);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Parses stdout as one JSON document (fails the test when anything else is there). */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  return JSON.parse(result.stdout) as T;
}
