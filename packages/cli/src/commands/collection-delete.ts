import { UsageError } from '../cli-errors.js';
import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';

/** `collection delete <id> --yes`: erases a collection, its faces and its key. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const id = String(input.args[0]);
  if (!(input.options as { yes?: boolean }).yes) {
    throw new UsageError(
      'Refusing to delete a collection without confirmation.',
      `Pass --yes: face-encode collection delete ${id} --yes`,
    );
  }
  const client = await ctx.client();
  await client.deleteCollection(id, { signal: ctx.signal });
  ctx.out.result({ collection_id: id, deleted: true });
  ctx.out.line(`Deleted collection ${id} with its faces and key.`);
}
