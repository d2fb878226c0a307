import type { CommandContext } from '../context.js';
import { formatSummary, withoutEncodings } from '../format-summary.js';
import type { CommandInput } from '../program.js';

/** `session show <id>`: the summary; encodings and landmarks only when asked for. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const id = String(input.args[0]);
  const { encodings, landmarks } = input.options as { encodings?: boolean; landmarks?: boolean };
  const client = await ctx.client();
  const session = await client.getSession(id, {
    signal: ctx.signal,
    ...(landmarks ? { include: 'landmarks' as const } : {}),
  });
  const { out } = ctx;
  out.result(withoutEncodings(session, encodings === true));
  if (out.json) return;
  for (const line of formatSummary(out, session)) out.line(line);
  if (encodings) {
    out.line('');
    session.images.forEach((image, i) =>
      image.faces.forEach((face, f) =>
        out.line(`Encoding ${i + 1}.${f + 1}: [${face.encoding.map((x) => x.toFixed(6)).join(', ')}]`),
      ),
    );
  }
  if (landmarks) {
    session.images.forEach((image, i) =>
      image.faces.forEach((face, f) => {
        if (face.landmarks)
          out.line(
            `Landmarks ${i + 1}.${f + 1}: ${face.landmarks.map((p) => `${Math.round(p.x)},${Math.round(p.y)}`).join(' ')}`,
          );
      }),
    );
  }
}
