/**
 * True when commander would print the version and stop without looking at anything else: it handles options
 * left to right and `-V`/`--version` exits as soon as it is seen, so a first argument of exactly `-V` or
 * `--version` always prints the version with exit 0, whatever follows. The entry point answers those
 * without loading commander or building the command tree.
 */
export function isVersionRequest(argv: readonly string[]): boolean {
  return argv[0] === '--version' || argv[0] === '-V';
}
