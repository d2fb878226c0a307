// Programmatic entry: run the CLI in-process (tests, wrappers) and reuse its local checks.
export { runCli, type CliRuntime } from './run-cli.js';
export { cliVersion } from './version.js';
export { ExitCode, type ExitCodeValue } from './exit-codes.js';
export { CliError, UsageError, InputError, InterruptedError } from './cli-errors.js';
export { describeError, type ErrorReport } from './describe-error.js';
export {
  checkImageFiles,
  sniffImageType,
  type CheckedImage,
  type ImageCheckOptions,
  type ImageType,
} from './image-checks.js';
export {
  resolveSettings,
  resolveProfileName,
  DEFAULT_URL,
  type CliEnv,
  type GlobalFlags,
  type Settings,
} from './settings.js';
