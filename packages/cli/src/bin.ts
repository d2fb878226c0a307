#!/usr/bin/env node
// The `face-encode` entry point: the only module that reads process.env and installs signal handlers.
import { runCli } from './run-cli.js';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  // A second Ctrl-C, or a command that does not settle, exits at once.
  if (interrupts > 1) process.exit(130);
  controller.abort();
  setTimeout(() => process.exit(130), 3000).unref();
});

const env = process.env;
const code = await runCli({
  argv: process.argv.slice(2),
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
  stdin: process.stdin,
  signal: controller.signal,
});
// Flush stdout before exiting: keep-alive sockets would otherwise hold the process open.
process.stdout.write('', () => process.exit(code));
