#!/usr/bin/env node
// Encodes 1 to 5 photos with @face-encode/sdk and prints the verdict and faces per image.
// Usage: node examples/node/encode.mjs <photo...>
// Env: FACE_ENCODE_URL (default http://127.0.0.1:3030), FACE_ENCODE_API_KEY, or FACE_ENCODE_USER_ID for demo mode.
import { createFaceEncodeClient, FaceEncodeError } from '@face-encode/sdk/node';

const photos = process.argv.slice(2);
if (photos.length === 0) {
  console.error('usage: node examples/node/encode.mjs <photo...>   (1 to 5 JPEG/PNG/WebP files)');
  process.exit(2);
}

const client = createFaceEncodeClient({ userId: process.env.FACE_ENCODE_USER_ID });
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());

try {
  const summary = await client.encode(photos, {
    signal: controller.signal,
    onUpload: (i, image) => console.log(`uploaded ${photos[i]} → image ${image.image_id} (${image.status})`),
    onProgress: (s) =>
      console.log(`session ${s.session_id}: ${s.status} [${s.images.map((i) => i.status).join(', ')}]`),
  });
  for (const image of summary.images) {
    const faces = image.faces.map((f) => `score ${f.score.toFixed(3)}, ${Math.round(f.quality.face_px)} px`);
    console.log(
      `${image.image_name ?? image.image_id}: ${image.status}, ${image.faces.length} face(s)${faces.length ? ` (${faces.join('; ')})` : ''}`,
    );
  }
  const { same_person, max_distance, threshold, verdict_reason } = summary.summary;
  console.log(
    `same person: ${same_person ?? 'n/a'}` +
      (max_distance === null ? '' : ` (max distance ${max_distance.toFixed(3)}, threshold ${threshold})`) +
      (verdict_reason ? ` — ${verdict_reason}` : ''),
  );
} catch (error) {
  if (error instanceof FaceEncodeError) {
    console.error(`${error.name} [${error.code}${error.status ? ` ${error.status}` : ''}]: ${error.message}`);
    if (error.requestId) console.error(`request id: ${error.requestId}`);
    process.exit(1);
  }
  throw error;
}
