// Preloaded with `node --import` by test/startup.test.ts: appends the URL of every module that goes through
// Node's ESM loader (the CLI's own chunks, its dependencies, built-ins) to the file named by MODULE_LOG.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// Module hooks run on a loader thread that imports this same file again; register them only once.
if (isMainThread) register(import.meta.url);

export async function load(url, context, nextLoad) {
  appendFileSync(process.env.MODULE_LOG, `${url}\n`);
  return nextLoad(url, context);
}
