import type { CollectionFace } from '@face-encode/sdk/node';
import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';

/** `collection faces <id>`: every face kept in a collection, newest first. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const client = await ctx.client();
  const items: CollectionFace[] = [];
  for await (const face of client.iterateCollectionFaces(String(input.args[0]), { signal: ctx.signal }))
    items.push(face);
  ctx.out.result({ items });
  if (items.length === 0) ctx.out.line('No faces.');
  for (const f of items)
    ctx.out.line(`${f.face_id}  ${f.label ?? '-'}  image ${f.image_id} face ${f.face_index}`);
}
