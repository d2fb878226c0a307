import type { CreateSessionRequest, SessionSummary } from '@face-encode/sdk/node';
import type { CommandContext } from './context.js';
import { inCommandLineOrder } from './command-line-order.js';
import { checkImageFiles, MIB, type CheckedImage } from './image-checks.js';
import { uploadImages } from './upload-images.js';

/** What {@link encodeFiles} returns. */
export interface EncodeResult {
  summary: SessionSummary;
  files: CheckedImage[];
  /** image_id → the base name of the file given on the command line, as every line of output names it. */
  fileNames: Map<string, string>;
}

const DEFAULT_WAIT_MS = 120_000;

/** Checks the files locally, opens a session, uploads them concurrently and waits for the summary. */
export async function encodeFiles(
  ctx: CommandContext,
  paths: string[],
  options: { maxFileMb: number; session?: Partial<CreateSessionRequest>; direct?: boolean | undefined },
): Promise<EncodeResult> {
  // Everything local first: nothing is sent when a file would be refused.
  const files = await checkImageFiles(paths, { maxFileBytes: options.maxFileMb * MIB });
  const client = await ctx.client();
  const progress = await ctx.progress();
  const { signal } = ctx;
  try {
    progress.update('Opening a session');
    const session = await client.createSession((options.session ?? {}) as CreateSessionRequest, { signal });
    progress.log(`Opened session ${session.session_id}`);
    const images = await uploadImages({
      client,
      sessionId: session.session_id,
      files,
      progress,
      signal,
      direct: options.direct,
    });
    const fileNames = new Map(images.map((image, i) => [image.image_id, files[i]?.name ?? image.image_id]));
    const seen = new Set<string>();
    progress.update(`Encoding ${files.length} image${files.length === 1 ? '' : 's'}`);
    const summary = await client.waitForSession(session.session_id, {
      signal,
      timeoutMs: ctx.settings.timeoutMs ?? DEFAULT_WAIT_MS,
      onProgress: (s) => {
        for (const image of s.images) {
          if ((image.status === 'done' || image.status === 'failed') && !seen.has(image.image_id)) {
            seen.add(image.image_id);
            const what =
              image.status === 'failed'
                ? 'failed'
                : `${image.faces.length} face${image.faces.length === 1 ? '' : 's'}`;
            progress.log(`Encoded ${fileNames.get(image.image_id) ?? image.image_id}: ${what}`);
          }
        }
        progress.tick(`Encoding (${seen.size}/${files.length} done)`);
      },
    });
    progress.succeed(
      `Encoded ${files.length} image${files.length === 1 ? '' : 's'} in session ${summary.session_id}`,
    );
    // Images and distance matrix both in command-line order, whatever order the uploads arrived in.
    const ordered = inCommandLineOrder(
      summary,
      images.map((image) => image.image_id),
    );
    return { summary: ordered, files, fileNames };
  } catch (err) {
    progress.stop();
    throw err;
  }
}
