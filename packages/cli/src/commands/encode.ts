import type { CommandContext } from '../context.js';
import { encodeFiles } from '../encode-files.js';
import { COMPARED_FACE, formatSummary, withoutEncodings } from '../format-summary.js';
import type { CommandInput } from '../program.js';

/** `encode <files...>`: 1-5 selfies in one session; prints faces, quality and the verdict. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const paths = input.args[0] as string[];
  const { maxFileMb, encodings, ttl, vendorData, direct } = input.options as {
    maxFileMb: number;
    direct?: boolean;
    encodings?: boolean;
    ttl?: number;
    vendorData?: string;
  };
  const { summary, fileNames } = await encodeFiles(ctx, paths, {
    maxFileMb,
    direct,
    session: {
      ...(ttl !== undefined ? { ttl_seconds: ttl } : {}),
      ...(vendorData !== undefined ? { vendor_data: vendorData } : {}),
    },
  });
  const { out } = ctx;
  // compared_face: which face of each image the verdict used (the server's main face, the largest).
  out.result({ ...withoutEncodings(summary, encodings === true), compared_face: COMPARED_FACE });
  if (out.json) return;
  for (const line of formatSummary(out, summary, fileNames)) out.line(line);
  if (encodings) {
    out.line('');
    summary.images.forEach((image, i) =>
      image.faces.forEach((face, f) =>
        out.line(`Encoding ${i + 1}.${f + 1}: [${face.encoding.map((x) => x.toFixed(6)).join(', ')}]`),
      ),
    );
  }
}
