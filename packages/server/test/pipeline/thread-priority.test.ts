import { readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

// Runs the built module in a real worker thread: the point is that only that thread changes.
const source = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { readlinkSync } = require('node:fs');
  const { getPriority } = require('node:os');
  const { register } = require('node:module');
  register(workerData.loader);
  import(workerData.module).then(({ lowerThreadPriority }) => {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const before = getPriority(tid);
    const changed = lowerThreadPriority(5);
    parentPort.postMessage({ changed, before, after: getPriority(tid) });
  });
`;

describe.runIf(process.platform === 'linux')('lowerThreadPriority', () => {
  it('lowers the priority of the calling thread only', async () => {
    const mainTid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const mainBefore = getPriority(mainTid);
    const worker = new Worker(source, {
      eval: true,
      workerData: {
        loader: new URL('../support/ts-loader.mjs', import.meta.url).href,
        module: new URL('../../src/pipeline/thread-priority.ts', import.meta.url).href,
      },
    });
    const result = await new Promise<{ changed: boolean; before: number; after: number }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    await worker.terminate();
    expect(result.changed).toBe(true);
    expect(result.after).toBe(Math.min(19, result.before + 5));
    expect(getPriority(mainTid)).toBe(mainBefore);
    expect(getPriority()).toBe(mainBefore);
  });
});
