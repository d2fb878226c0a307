import type { Command } from 'commander';
import type { FaceEncodeClient } from '@face-encode/sdk/node';
import type { Output } from './output.js';
import type { ProfileStore } from './profile-store.js';
import type { Progress } from './progress.js';
import type { Settings } from './settings.js';

/** What every command action receives. */
export interface CommandContext {
  settings: Settings;
  out: Output;
  store: ProfileStore;
  /** Aborted on Ctrl-C; pass it to every SDK call. */
  signal: AbortSignal;
  /** Spinners allowed (stderr is a TTY and CI is unset). */
  interactive: boolean;
  /** stdin, for confirmations. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** The root command (for completion scripts). */
  program: Command;
  /** The SDK client for the effective settings (loaded on first use). */
  client(): Promise<FaceEncodeClient>;
  /** A fresh progress reporter on stderr. */
  progress(): Promise<Progress>;
}
