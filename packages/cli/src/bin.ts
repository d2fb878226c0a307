#!/usr/bin/env node
// The `face-encode` entry point: the only module that reads process.env and installs signal handlers.
// Kept small for start-up: commander and the command tree load only when the arguments need them.
import { enableCompileCache } from './compile-cache.js';
import { isVersionRequest } from './version-request.js';
import { cliVersion } from './version.js';

// First, so the modules imported dynamically below (run-cli with commander, commands, the SDK) are cached.
enableCompileCache();

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  // A second Ctrl-C, or a command that does not settle, exits at once.
  if (interrupts > 1) process.exit(130);
  controller.abort();
  setTimeout(() => process.exit(130), 3000).unref();
});

/** Runs commander on the arguments; imported on demand so `--version` never loads commander. */
async function run(argv: string[]): Promise<number> {
  const { runCli } = await import('./run-cli.js');
  const env = process.env;
  return runCli({
    argv,
    env: {
      FACE_ENCODE_URL: env.FACE_ENCODE_URL,
      FACE_ENCODE_API_KEY: env.FACE_ENCODE_API_KEY,
      FACE_ENCODE_PROFILE: env.FACE_ENCODE_PROFILE,
      FACE_ENCODE_USER_ID: env.FACE_ENCODE_USER_ID,
      FACE_ENCODE_CONFIG_DIR: env.FACE_ENCODE_CONFIG_DIR,
      NO_COLOR: env.NO_COLOR,
      CI: env.CI,
    },
    stdout: process.stdout,
    stderr: process.stderr,
    // Created on first use: building the stdin stream costs start-up time and only `session delete` reads it.
    get stdin() {
      return process.stdin;
    },
    signal: controller.signal,
  });
}

const argv = process.argv.slice(2);
let code: number;
if (isVersionRequest(argv)) {
  // Byte for byte what commander prints for -V/--version (see version-request.ts).
  process.stdout.write(`${cliVersion()}\n`);
  code = 0;
} else {
  code = await run(argv);
}
// Flush stdout before exiting: keep-alive sockets would otherwise hold the process open.
process.stdout.write('', () => process.exit(code));
