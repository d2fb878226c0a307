import { createInterface } from 'node:readline/promises';
import { InterruptedError, UsageError } from '../cli-errors.js';
import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';

/** Asks on the terminal; Ctrl-C cancels. */
async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.out.stderr as NodeJS.WritableStream });
  const controller = new AbortController();
  const cancel = () => controller.abort();
  ctx.signal.addEventListener('abort', cancel, { once: true });
  rl.on('SIGINT', cancel);
  try {
    const answer = await rl.question(question, { signal: controller.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    throw new InterruptedError();
  } finally {
    ctx.signal.removeEventListener('abort', cancel);
    rl.close();
  }
}

/** `session delete <id>`: erases a session; asks first on a terminal unless `--yes`. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const id = String(input.args[0]);
  const { yes } = input.options as { yes?: boolean };
  if (!yes) {
    if (ctx.stdin.isTTY !== true || ctx.out.json) {
      throw new UsageError(
        'Refusing to delete without confirmation.',
        `Pass --yes: face-encode session delete ${id} --yes`,
      );
    }
    if (!(await confirm(ctx, `Erase session ${id} with its images and encodings? [y/N] `))) {
      ctx.out.note('Kept the session.');
      return;
    }
  }
  const client = await ctx.client();
  await client.deleteSession(id, { signal: ctx.signal });
  ctx.out.result({ session_id: id, deleted: true });
  ctx.out.line(`Deleted session ${id}.`);
}
