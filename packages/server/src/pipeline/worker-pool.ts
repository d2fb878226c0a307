import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FaceApiEncoderOptions } from '../encoder/faceapi-encoder.js';
import type { EncodeResult, ModelInfo } from '../encoder/encoder.js';
import { EncoderError, type EncoderErrorCode } from '../encoder/encoder-error.js';
import type { WorkerResponse } from './encode-worker.js';

export interface WorkerPoolOptions {
  /** Threads, each with its own model instance. Default 1. */
  size?: number;
  /** Options of each thread's FaceApiEncoder. Default {}. */
  encoder?: FaceApiEncoderOptions;
  /** A job running longer than this is abandoned and its thread replaced, in ms. Default 30 000. */
  jobTimeoutMs?: number;
  /** Heap limit of each thread in MiB (bounded memory). Default 1024. */
  maxHeapMb?: number;
  /** Most encodes waiting for a thread; more are refused. Default 1000. */
  maxQueued?: number;
  /**
   * How much lower than the process the encoder threads run (nice, Linux only), so the HTTP event loop
   * is scheduled first while they saturate the cores. 0 keeps them equal. Default 10.
   */
  niceness?: number;
  /** The thread entry file. Default: the built `dist/pipeline/encode-worker.js`. */
  workerFile?: string | URL;
}

interface Task {
  bytes: Uint8Array;
  resolve: (r: EncodeResult) => void;
  reject: (e: Error) => void;
  signal: AbortSignal | undefined;
}

interface Slot {
  worker: Worker;
  ready: Promise<ModelInfo>;
  busy: { id: number; task: Task; timer: NodeJS.Timeout } | null;
}

/** Locates the thread entry both from dist (a sibling folder) and from sources run by vitest (the build). */
function defaultWorkerFile(): URL {
  const fromDist = new URL('./pipeline/encode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(fromDist))) return fromDist;
  const built = new URL('../../dist/pipeline/encode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error('encode-worker.js not found: build @face-encode/server first (pnpm build).');
}

/** A fixed set of worker threads running the encoder, fed from a FIFO queue. */
export class WorkerPool {
  readonly #options: Required<Omit<WorkerPoolOptions, 'workerFile'>> & { workerFile: string | URL };
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;
  #model: ModelInfo | null = null;

  constructor(options: WorkerPoolOptions = {}) {
    this.#options = {
      size: options.size ?? 1,
      encoder: options.encoder ?? {},
      jobTimeoutMs: options.jobTimeoutMs ?? 30_000,
      maxHeapMb: options.maxHeapMb ?? 1024,
      maxQueued: options.maxQueued ?? 1000,
      niceness: options.niceness ?? 10,
      workerFile: options.workerFile ?? defaultWorkerFile(),
    };
  }

  get size(): number {
    return this.#options.size;
  }

  /** The model of the threads, once one has loaded. */
  get model(): ModelInfo | null {
    return this.#model;
  }

  /** Starts every thread and waits until each has loaded its model. */
  async start(): Promise<ModelInfo> {
    for (let i = 0; i < this.#options.size; i++) this.#slots.push(this.#spawn());
    const models = await Promise.all(this.#slots.map((s) => s.ready));
    this.#model = models[0] ?? null;
    return models[0] as ModelInfo;
  }

  #spawn(): Slot {
    const worker = new Worker(this.#options.workerFile, {
      workerData: { encoder: this.#options.encoder, niceness: this.#options.niceness },
      resourceLimits: { maxOldGenerationSizeMb: this.#options.maxHeapMb },
    });
    const slot: Slot = { worker, busy: null, ready: Promise.resolve({ id: '', version: '' }) };
    slot.ready = new Promise<ModelInfo>((resolve, reject) => {
      worker.on('message', (msg: WorkerResponse) => {
        if (msg.type === 'ready') {
          this.#model ??= msg.model;
          resolve(msg.model);
          this.#drain();
        } else if (msg.type === 'init-failed') {
          reject(new Error(`Encoder failed to load: ${msg.message}`));
        } else {
          this.#settle(slot, msg);
        }
      });
      worker.on('error', (error) => {
        reject(error);
        this.#replace(slot, new EncoderError('encoding_failed', `Encoder thread crashed: ${error.message}`));
      });
      worker.on('exit', () => {
        if (!this.#closed && this.#slots.includes(slot)) {
          this.#replace(slot, new EncoderError('encoding_failed', 'Encoder thread exited.'));
        }
      });
    });
    slot.ready.catch(() => {});
    return slot;
  }

  #settle(slot: Slot, msg: Extract<WorkerResponse, { id: number }>): void {
    const busy = slot.busy;
    if (!busy || busy.id !== msg.id) return;
    clearTimeout(busy.timer);
    slot.busy = null;
    if (msg.type === 'result') busy.task.resolve(msg.result);
    else busy.task.reject(new EncoderError(msg.code as EncoderErrorCode, msg.message));
    this.#drain();
  }

  /** Replaces a crashed or timed-out thread; its task fails with `error`. */
  #replace(slot: Slot, error: Error): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0) return;
    if (slot.busy) {
      clearTimeout(slot.busy.timer);
      slot.busy.task.reject(error);
      slot.busy = null;
    }
    this.#slots.splice(index, 1);
    void slot.worker.terminate();
    if (!this.#closed) this.#slots.push(this.#spawn());
  }

  /** Encodes on a thread. Rejects with EncoderError (invalid_image, encoding_failed on timeout or crash). */
  encode(bytes: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<EncodeResult> {
    if (this.#closed)
      return Promise.reject(new EncoderError('encoding_failed', 'The worker pool is closed.'));
    if (this.#queue.length >= this.#options.maxQueued) {
      return Promise.reject(new EncoderError('encoding_failed', 'Too many images waiting for an encoder.'));
    }
    return new Promise((resolve, reject) => {
      const task: Task = { bytes, resolve, reject, signal: opts.signal };
      opts.signal?.addEventListener(
        'abort',
        () => {
          const i = this.#queue.indexOf(task);
          if (i >= 0) {
            this.#queue.splice(i, 1);
            reject(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('Aborted'));
          }
        },
        { once: true },
      );
      this.#queue.push(task);
      this.#drain();
    });
  }

  async #isReady(slot: Slot): Promise<boolean> {
    return slot.ready.then(
      () => true,
      () => false,
    );
  }

  #drain(): void {
    for (const slot of this.#slots) {
      if (slot.busy || this.#queue.length === 0) continue;
      void this.#isReady(slot).then((ok) => {
        if (!ok || slot.busy || this.#closed) return;
        const task = this.#queue.shift();
        if (!task) return;
        const id = this.#nextId++;
        const timer = setTimeout(() => {
          this.#replace(
            slot,
            new EncoderError('encoding_failed', `Encoding timed out after ${this.#options.jobTimeoutMs} ms.`),
          );
        }, this.#options.jobTimeoutMs);
        slot.busy = { id, task, timer };
        // Copy into a transferable buffer so the bytes move to the thread without another copy.
        const copy = new Uint8Array(task.bytes);
        slot.worker.postMessage({ id, bytes: copy }, [copy.buffer]);
      });
    }
  }

  /** Number of encodes waiting for a thread. */
  get queued(): number {
    return this.#queue.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0))
      task.reject(new EncoderError('encoding_failed', 'The worker pool closed.'));
    await Promise.all(
      this.#slots.splice(0).map(async (slot) => {
        if (slot.busy) {
          clearTimeout(slot.busy.timer);
          slot.busy.task.reject(new EncoderError('encoding_failed', 'The worker pool closed.'));
        }
        await slot.worker.terminate();
      }),
    );
  }
}
