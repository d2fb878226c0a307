import { readImageFile } from '@face-encode/sdk/node';
import type { CommandContext } from '../context.js';
import type { CommandInput } from '../program.js';

/** `collection search <id> <photo>`: the people of a collection nearest the photo's largest face. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const [id, photo] = input.args.map(String) as [string, string];
  const { k, maxDistance } = input.options as { k?: number; maxDistance?: number };
  const client = await ctx.client();
  const result = await client.searchFaces(id, await readImageFile(photo), {
    k,
    maxDistance,
    signal: ctx.signal,
  });
  ctx.out.result(result);
  if (result.matches.length === 0) ctx.out.line(`No one within ${result.threshold}.`);
  for (const m of result.matches)
    ctx.out.line(
      `${m.distance.toFixed(3)}  ${m.same_person ? 'same person' : 'different'}  ${m.label ?? '-'}  ${m.face_id}`,
    );
}
