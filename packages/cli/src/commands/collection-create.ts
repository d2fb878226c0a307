import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';

/** `collection create <name>`: a collection to keep faces in, past their sessions. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const client = await ctx.client();
  const collection = await client.createCollection(String(input.args[0]), { signal: ctx.signal });
  ctx.out.result(collection);
  ctx.out.line(`Created collection ${collection.collection_id} (${collection.name}).`);
}
