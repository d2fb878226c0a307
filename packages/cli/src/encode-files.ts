import type { CreateSessionRequest, SessionSummary } from '@face-encode/sdk/node';
import type { CommandContext } from './context.js';
import { checkImageFiles, MIB, type CheckedImage } from './image-checks.js';
import { uploadImages } from './upload-images.js';

/** What {@link encodeFiles} returns. */
export interface EncodeResult {
  summary: SessionSummary;
  files: CheckedImage[];
  /** image_id → the file path given on the command line. */
  fileNames: Map<string, string>;
}

const DEFAULT_WAIT_MS = 120_000;

/** Checks the files locally, opens a session, uploads them concurrently and waits for the summary. */
export async function encodeFiles(
  ctx: CommandContext,
  paths: string[],
  options: { maxFileMb: number; session?: Partial<CreateSessionRequest> },
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
    const images = await uploadImages({ client, sessionId: session.session_id, files, progress, signal });
    const fileNames = new Map(images.map((image, i) => [image.image_id, files[i]?.path ?? image.image_id]));
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
    // Concurrent uploads reach the server in any order: report the images in command-line order.
    const order = new Map(images.map((image, i) => [image.image_id, i]));
    const position = (id: string) => order.get(id) ?? Number.MAX_SAFE_INTEGER;
    const ordered = [...summary.images].sort((a, b) => position(a.image_id) - position(b.image_id));
    return { summary: { ...summary, images: ordered }, files, fileNames };
  } catch (err) {
    progress.stop();
    throw err;
  }
}
