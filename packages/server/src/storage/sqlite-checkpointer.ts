import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './sqlite-database.js';

export interface SqliteCheckpointerOptions {
  /** The connection whose commits must not checkpoint (its automatic checkpoints are turned off). */
  db: SqliteDatabase;
  /** The database file, opened again by the checkpoint thread. */
  path: string;
  /** How often the thread checkpoints, in ms. Default 1 000. */
  intervalMs?: number;
}

// Runs in the thread: its own connection, a PASSIVE checkpoint (never waits for readers or writers) each tick.
const THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

/**
 * WAL checkpoints off the event loop. A checkpoint copies the WAL back into the database and fsyncs both;
 * run by a commit (SQLite's default, every 1 000 pages), it stalls that request and every request behind
 * it for several ms, tens of ms on a busy disk. Here a worker thread checkpoints every second instead.
 * If the thread dies, the connection's automatic checkpoints come back, so the WAL never grows unbounded.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #db: SqliteDatabase;
  readonly #exited: Promise<void>;
  #stopping = false;

  constructor(options: SqliteCheckpointerOptions) {
    this.#db = options.db;
    this.#db.pragma('wal_autocheckpoint = 0');
    this.#worker = new Worker(THREAD, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        path: options.path,
        intervalMs: options.intervalMs ?? 1_000,
      },
    });
    this.#worker.unref();
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', () => {
        if (!this.#stopping && this.#db.open) this.#db.pragma('wal_autocheckpoint = 1000');
        resolve();
      }),
    );
    this.#worker.on('error', () => {});
  }

  /** Stops the thread (and closes its connection) before the database closes. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    // Held while it closes, or a process with nothing else to do would exit before `stop` resolves.
    this.#worker.ref();
    this.#worker.postMessage('stop');
    await this.#exited;
  }
}
