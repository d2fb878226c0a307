import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** An error the CLI reports as one line plus an optional hint, exiting with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  constructor(message: string, options: { exitCode?: ExitCodeValue; hint?: string } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.hint = options.hint;
  }
}

/** The command line itself is wrong (exit 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
    this.name = 'UsageError';
  }
}

/** A local file or a limit refused the input before anything was sent (exit 5). */
export class InputError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.invalidInput, ...(hint ? { hint } : {}) });
    this.name = 'InputError';
  }
}

/** The user interrupted the command (exit 130). */
export class InterruptedError extends CliError {
  constructor() {
    super('Cancelled.', { exitCode: ExitCode.interrupted });
    this.name = 'InterruptedError';
  }
}
