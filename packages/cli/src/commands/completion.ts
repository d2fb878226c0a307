import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';
import { completionScript, type Shell } from '../completion-scripts.js';

/** `completion bash|zsh|fish`: prints the script (plain text, also with `--json`). */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  ctx.out.stdout.write(completionScript(ctx.program, input.args[0] as Shell));
}
