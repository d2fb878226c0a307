import { CommanderError, type Command } from 'commander';
import { InterruptedError } from './cli-errors.js';
import type { CommandContext } from './context.js';
import { describeError } from './describe-error.js';
import { ExitCode } from './exit-codes.js';
import { Output, type TextStream } from './output.js';
import { buildProgram, type CommandModule } from './program.js';
import {
  resolveSettings,
  resolveProfileName,
  DEFAULT_URL,
  type CliEnv,
  type GlobalFlags,
} from './settings.js';
import { cliVersion } from './version.js';

/** Everything the CLI touches of its process; `bin.ts` passes the real ones. */
export interface CliRuntime {
  /** Arguments after `node bin.js`. */
  argv: string[];
  /** The environment variables (only bin.ts reads process.env). */
  env: CliEnv;
  stdout: TextStream;
  stderr: TextStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C. Default: never aborted. */
  signal?: AbortSignal;
}

/** Runs one invocation and resolves to its exit code; never throws. */
export async function runCli(runtime: CliRuntime): Promise<number> {
  const version = cliVersion();
  const signal = runtime.signal ?? new AbortController().signal;
  let exitCode: number = ExitCode.ok;
  let program: Command | undefined = undefined;

  const run = async (load: () => Promise<CommandModule>, args: unknown[], command: Command) => {
    const flags = command.optsWithGlobals<GlobalFlags>();
    const stdoutIsTTY = runtime.stdout.isTTY === true;
    const provisional = new Output({
      stdout: runtime.stdout,
      stderr: runtime.stderr,
      json: flags.json === true,
    });
    let url = flags.url ?? runtime.env.FACE_ENCODE_URL ?? DEFAULT_URL;
    let debug = flags.debug === true;
    let out = provisional;
    try {
      const { ProfileStore } = await import('./profile-store.js');
      const store = await ProfileStore.open({ cwd: runtime.env.FACE_ENCODE_CONFIG_DIR });
      const settings = resolveSettings(
        flags,
        runtime.env,
        store.get(resolveProfileName(flags, runtime.env)),
        { stdoutIsTTY },
      );
      url = settings.url;
      debug = settings.debug;
      out = new Output({
        stdout: runtime.stdout,
        stderr: runtime.stderr,
        json: settings.json,
        quiet: settings.quiet,
        color: settings.color,
      });
      const interactive = runtime.stderr.isTTY === true && !runtime.env.CI;
      let client: Awaited<ReturnType<CommandContext['client']>> | undefined;
      const ctx: CommandContext = {
        settings,
        out,
        store,
        signal,
        interactive,
        stdin: runtime.stdin,
        program: program as Command,
        client: async () => {
          if (!client) {
            const { createClient } = await import('./create-client.js');
            client = await createClient(settings, out, version);
          }
          return client;
        },
        progress: async () => {
          const { createProgress } = await import('./progress.js');
          return createProgress({
            stream: runtime.stderr,
            interactive,
            quiet: settings.quiet,
            color: settings.color,
          });
        },
      };
      if (settings.debug)
        out.debug(
          `profile ${settings.profile}, url ${settings.url} (${settings.sources.url}), config ${store.path}`,
        );
      const module = await load();
      if (signal.aborted) throw new InterruptedError();
      await module.execute(ctx, { args, options: command.opts() });
    } catch (err) {
      const report = describeError(signal.aborted ? new InterruptedError() : err, { url });
      exitCode = report.exitCode;
      out.error(report.message, report.hint);
      if (debug && err instanceof Error && err.stack) runtime.stderr.write(`${err.stack}\n`);
      out.result({
        error: {
          message: report.message,
          hint: report.hint ?? null,
          exit_code: report.exitCode,
          code: report.code ?? null,
          status: report.status ?? null,
          request_id: report.requestId ?? null,
        },
      });
    }
  };

  try {
    program = buildProgram({
      version,
      run,
      writeOut: (text) => runtime.stdout.write(text),
      writeErr: (text) => runtime.stderr.write(text),
    });
    await program.parseAsync(runtime.argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other parse problem is a usage error.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    runtime.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.failure;
  }
}
