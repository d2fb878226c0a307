import { InputError } from '../cli-errors.js';
import type { CommandContext } from '../context.js';
import { imageWithoutEncodings } from '../format-summary.js';
import { checkImageFiles, MIB } from '../image-checks.js';
import type { CommandInput } from '../program.js';
import { uploadImages } from '../upload-images.js';

/** `upload <session-id> <files...>`: local checks, a session capacity check, then concurrent uploads. */
export async function execute(ctx: CommandContext, input: CommandInput): Promise<void> {
  const sessionId = String(input.args[0]);
  const paths = input.args[1] as string[];
  const { maxFileMb, wait, direct } = input.options as { maxFileMb: number; wait?: number; direct?: boolean };
  const files = await checkImageFiles(paths, { maxFileBytes: maxFileMb * MIB });
  const client = await ctx.client();
  // Read the session's count first so a 6th image is refused here, before any upload.
  const session = await client.getSession(sessionId, { signal: ctx.signal });
  const free = session.max_images - session.image_count;
  if (files.length > free) {
    throw new InputError(
      `Session ${sessionId} holds ${session.image_count} of ${session.max_images} images; ${files.length} more would exceed the limit.`,
      free > 0
        ? `Upload at most ${free} more, or open another session with face-encode session create.`
        : 'Open another session with face-encode session create.',
    );
  }
  if (session.status === 'expired') {
    throw new InputError(
      `Session ${sessionId} expired at ${session.expires_at}.`,
      'Open a new one with face-encode session create.',
    );
  }
  const progress = await ctx.progress();
  let images;
  try {
    images = await uploadImages({ client, sessionId, files, progress, signal: ctx.signal, wait, direct });
  } catch (err) {
    progress.stop();
    throw err;
  }
  progress.succeed(
    `Uploaded ${images.length} image${images.length === 1 ? '' : 's'} to session ${sessionId}`,
  );
  const { out } = ctx;
  out.result({ session_id: sessionId, images: images.map((image) => imageWithoutEncodings(image, false)) });
  images.forEach((image, i) =>
    out.line(`${image.image_id}  ${image.status.padEnd(10)}  ${files[i]?.name ?? ''}`),
  );
  if (!out.json) out.note(`Next: face-encode session show ${sessionId}`);
}
