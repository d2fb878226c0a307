import { randomUUID } from 'node:crypto';
import type { FaceEncodeClient, Image } from '@face-encode/sdk/node';
import type { CheckedImage } from './image-checks.js';
import type { Progress } from './progress.js';

/** Options of {@link uploadImages}. */
export interface UploadImagesOptions {
  client: FaceEncodeClient;
  sessionId: string;
  files: CheckedImage[];
  progress: Progress;
  signal: AbortSignal;
  /** Seconds the server may hold each response until encoded. Default 0. */
  wait?: number | undefined;
  /** Send the bytes straight to storage (reserve, PUT, complete), not through the API. Default false. */
  direct?: boolean | undefined;
}

/** Uploads the files concurrently, reporting each one; results keep the files' order. */
export async function uploadImages(options: UploadImagesOptions): Promise<Image[]> {
  const { client, sessionId, files, progress, signal } = options;
  let done = 0;
  progress.update(`Uploading ${files.length} file${files.length === 1 ? '' : 's'} (0/${files.length})`);
  return Promise.all(
    files.map(async (file) => {
      const image = await client.uploadImage(sessionId, file.bytes, {
        imageName: file.name,
        // A fresh key per file makes the SDK's retries safe: a replay never takes a second slot.
        idempotencyKey: randomUUID(),
        signal,
        ...(options.wait !== undefined ? { wait: options.wait } : {}),
        ...(options.direct ? { direct: true } : {}),
      });
      done += 1;
      progress.log(`Uploaded ${file.name} (${done}/${files.length}) as image ${image.image_id}`);
      progress.tick(`Uploading (${done}/${files.length})`);
      return image;
    }),
  );
}
