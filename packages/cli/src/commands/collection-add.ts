import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';

/** `collection add <collection-id> <session-id>`: keeps the largest face of every image (or `--image`). */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const [collectionId, sessionId] = input.args.map(String) as [string, string];
  const { image, faceIndex, label, externalId } = input.options as {
    image?: string;
    faceIndex?: number;
    label?: string;
    externalId?: string;
  };
  const client = await ctx.client();
  const chosen = image ? [{ imageId: image, faceIndex, label, externalId }] : undefined;
  const added = await client.addFaces(collectionId, sessionId, chosen, { signal: ctx.signal });
  ctx.out.result({ items: added });
  ctx.out.line(`Added ${added.length} face${added.length === 1 ? '' : 's'} to ${collectionId}.`);
}
