import type { Collection } from '@face-encode/sdk/node';
import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';

/** `collection list`: the caller's collections, newest first. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const { limit, cursor } = input.options as { limit: number; cursor?: string };
  const client = await ctx.client();
  const page = await client.listCollections({ limit, signal: ctx.signal, ...(cursor ? { cursor } : {}) });
  ctx.out.result(page);
  if (page.items.length === 0) ctx.out.line('No collections.');
  for (const c of page.items as Collection[])
    ctx.out.line(`${c.collection_id}  ${c.face_count} faces  ${c.name}`);
  if (page.next_cursor) ctx.out.note(`More: face-encode collection list --cursor ${page.next_cursor}`);
}
