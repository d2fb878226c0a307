import type { TextStream } from './output.js';

/** Progress reporting on stderr: a spinner on a terminal, plain lines elsewhere. */
export interface Progress {
  /** Sets the current step. */
  update(text: string): void;
  /** Refreshes a counter on the spinner; plain output skips it (the log lines carry the news). */
  tick(text: string): void;
  /** A finished event worth its own line (e.g. one file uploaded). */
  log(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  /** Clears the spinner without a final line. */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** The stream to draw on (stderr). */
  stream: TextStream;
  /** Spinner when true, plain lines when false. */
  interactive: boolean;
  /** No output at all. Default false. */
  quiet?: boolean;
  /** Colored symbols. Default false. */
  color?: boolean;
}

const silent: Progress = { update() {}, tick() {}, log() {}, succeed() {}, fail() {}, stop() {} };

class PlainProgress implements Progress {
  private last = '';
  constructor(private readonly stream: TextStream) {}
  update(text: string): void {
    // One line per change: CI logs stay readable.
    if (text !== this.last) this.stream.write(`${text}\n`);
    this.last = text;
  }
  tick(): void {}
  log(text: string): void {
    this.stream.write(`${text}\n`);
  }
  succeed(text: string): void {
    this.stream.write(`${text}\n`);
  }
  fail(text: string): void {
    this.stream.write(`${text}\n`);
  }
  stop(): void {}
}

/** Loads ora only on a terminal, so scripts and `--help` never pay for it. */
export async function createProgress(options: ProgressOptions): Promise<Progress> {
  if (options.quiet) return silent;
  // A terminal that reports no width (some ptys) makes spinner redraws run away: fall back to lines.
  const columns = (options.stream as { columns?: number }).columns ?? 0;
  if (!options.interactive || columns <= 0) return new PlainProgress(options.stream);
  const { default: ora } = await import('ora');
  const spinner = ora({
    stream: options.stream as NodeJS.WritableStream,
    isEnabled: true,
    color: 'cyan',
    // Raw stdin would swallow Ctrl-C; we handle SIGINT ourselves.
    discardStdin: false,
  });
  return {
    update(text) {
      spinner.text = text;
      if (!spinner.isSpinning) spinner.start();
    },
    tick(text) {
      spinner.text = text;
    },
    log(text) {
      const wasSpinning = spinner.isSpinning;
      const current = spinner.text;
      spinner.stopAndPersist({ symbol: options.color ? '\u001b[32m•\u001b[39m' : '•', text });
      if (wasSpinning) spinner.start(current);
    },
    succeed(text) {
      spinner.succeed(text);
    },
    fail(text) {
      spinner.fail(text);
    },
    stop() {
      spinner.stop();
    },
  };
}
