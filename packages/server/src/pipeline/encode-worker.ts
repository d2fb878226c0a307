// Thread entry of the worker pool: one encoder (one model instance) per thread. Inference runs here,
// never on the HTTP event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { EncoderError } from '../encoder/encoder-error.js';
import { FaceApiEncoder, type FaceApiEncoderOptions } from '../encoder/faceapi-encoder.js';
import { lowerThreadPriority } from './thread-priority.js';

export type WorkerRequest = { id: number; bytes: Uint8Array };
export type WorkerResponse =
  | { type: 'ready'; model: { id: string; version: string } }
  | { type: 'init-failed'; message: string }
  | { type: 'result'; id: number; result: import('../encoder/encoder.js').EncodeResult }
  | { type: 'error'; id: number; code: string; message: string };

const port = parentPort;
if (!port) throw new Error('encode-worker must run in a worker thread');

const data = workerData as { encoder: FaceApiEncoderOptions; niceness: number };
lowerThreadPriority(data.niceness);
const encoder = new FaceApiEncoder(data.encoder);
encoder.init().then(
  () => port.postMessage({ type: 'ready', model: encoder.model } satisfies WorkerResponse),
  (error: Error) =>
    port.postMessage({ type: 'init-failed', message: error.message } satisfies WorkerResponse),
);

port.on('message', async ({ id, bytes }: WorkerRequest) => {
  try {
    const result = await encoder.encode(bytes);
    port.postMessage({ type: 'result', id, result } satisfies WorkerResponse);
  } catch (error) {
    const code = error instanceof EncoderError ? error.code : 'encoding_failed';
    port.postMessage({ type: 'error', id, code, message: (error as Error).message } satisfies WorkerResponse);
  }
});
