import type { CommandContext } from '../context.js';
import { encodeFiles } from '../encode-files.js';
import { COMPARED_FACE } from '../format-summary.js';
import type { CommandInput } from '../program.js';

/** `compare <a> <b>`: whether two selfies show the same person, and the distance of their main faces. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const [a, b] = input.args as [string, string];
  const { maxFileMb } = input.options as { maxFileMb: number };
  const { summary: session, fileNames, files: checked } = await encodeFiles(ctx, [a, b], { maxFileMb });
  const { summary } = session;
  const ids = summary.distance_image_ids;
  const distance = ids.length === 2 ? (summary.distances[0]?.[1] ?? null) : null;
  const files = session.images.map((image, i) => ({
    name: fileNames.get(image.image_id) ?? image.image_name,
    path: checked[i]?.path ?? image.image_name,
    image_id: image.image_id,
    status: image.status,
    faces: image.faces.length,
  }));
  const { out } = ctx;
  out.result({
    same_person: summary.same_person,
    distance,
    threshold: summary.threshold,
    verdict_reason: summary.verdict_reason,
    // The server compares the main face of each image: the largest, when a photo shows several people.
    compared_face: COMPARED_FACE,
    session_id: session.session_id,
    files,
  });
  if (out.json) return;
  if (summary.same_person === null) {
    out.line(`${out.style('yellow', 'Cannot tell')}: ${summary.verdict_reason ?? 'not enough faces'}.`);
  } else {
    out.line(
      `${summary.same_person ? out.style('green', 'Same person') : out.style('red', 'Different people')}: distance ${distance?.toFixed(3) ?? '?'} (threshold ${summary.threshold.toFixed(2)}), comparing the largest face of each image.`,
    );
  }
  for (const file of files)
    out.line(
      `  ${file.name}: ${file.status === 'failed' ? 'failed' : `${file.faces} face${file.faces === 1 ? '' : 's'}`}`,
    );
}
