/** A writable the CLI prints to (process.stdout/stderr in production, pipes in tests). */
export interface TextStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link Output}. */
export interface OutputOptions {
  /** Where results go. */
  stdout: TextStream;
  /** Where progress, warnings and errors go. */
  stderr: TextStream;
  /** `--json`: only JSON on stdout. Default false. */
  json?: boolean;
  /** `--quiet`: no progress or notes. Default false. */
  quiet?: boolean;
  /** ANSI colors on stdout/stderr. Default false. */
  color?: boolean;
}

const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;
export type Style = keyof typeof codes;

/** Everything a command prints goes through here, so `--json`, `--quiet` and colors hold everywhere. */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  readonly stdout: TextStream;
  readonly stderr: TextStream;

  constructor(options: OutputOptions) {
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    this.json = options.json ?? false;
    this.quiet = options.quiet ?? false;
    this.color = options.color ?? false;
  }

  /** Wraps text in an ANSI style when colors are on. */
  style(style: Style, text: string): string {
    if (!this.color) return text;
    const [open, close] = codes[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  /** A human result line on stdout (nothing in `--json` mode). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** The machine-readable result (only in `--json` mode). */
  result(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A note on stderr, silenced by `--quiet`. */
  note(text: string): void {
    if (!this.quiet) this.stderr.write(`${text}\n`);
  }

  /** A debug line on stderr. */
  debug(text: string): void {
    this.stderr.write(`${this.style('dim', `debug: ${text}`)}\n`);
  }

  /** The error line and hint on stderr. */
  error(message: string, hint?: string): void {
    this.stderr.write(`${this.style('red', 'Error:')} ${message}\n`);
    if (hint) this.stderr.write(`${this.style('dim', `Hint: ${hint}`)}\n`);
  }
}
