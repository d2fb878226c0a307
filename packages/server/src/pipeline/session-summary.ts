import type { ModelInfo } from '../encoder/encoder.js';
import type { components } from '../generated/openapi.js';
import type { ImageRecord } from '../storage/records.js';
import { faceDistance } from './face-distance.js';

/** The `summary` object of the API, typed from the OpenAPI document. */
export type Summary = components['schemas']['Summary'];

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * The verdict over the main (largest) face of each done image: pairwise Euclidean distances, and
 * same_person when every pair is within `threshold`. Undecidable (null) with fewer than two faces,
 * or when the encodings come from different models (their distances mean nothing). `model` is the
 * model stored with the encodings; `fallbackModel` (this deployment's) names it before any is done.
 */
export function buildSummary(
  images: ImageRecord[],
  opts: { threshold: number; fallbackModel: ModelInfo },
): Summary {
  const done = images.filter((i) => i.status === 'done');
  const models = new Map(
    done.flatMap((i) => (i.model ? [[`${i.model.id}@${i.model.version}`, i.model]] : [])),
  );
  const model = [...models.values()][0] ?? opts.fallbackModel;
  if (models.size > 1) return mixedModels(images, done, opts.threshold, model);
  const withFace = done.filter((i) => i.faces.length > 0);
  const mains = withFace.map((i) => (i.faces[0] as { encoding: number[] }).encoding);
  const distances = mains.map((a) => mains.map((b) => round4(faceDistance(a, b))));
  const pairs = distances.flatMap((row, i) => row.slice(i + 1));
  const maxDistance = pairs.length ? Math.max(...pairs) : null;
  const pending = images.filter((i) => i.status !== 'done' && i.status !== 'failed').length;
  let reason: string | null = null;
  if (mains.length < 2) {
    const noFace = done.length - withFace.length;
    reason =
      images.length === 0
        ? 'No images yet.'
        : pending > 0 && mains.length + pending >= 2
          ? 'Images are still being encoded.'
          : `Needs a face in at least two images; ${mains.length} of ${images.length} images have one` +
            (noFace ? ` (${noFace} with no face found).` : '.');
  }
  return {
    images_done: done.length,
    images_failed: images.filter((i) => i.status === 'failed').length,
    images_without_face: done.length - withFace.length,
    faces_total: done.reduce((n, i) => n + i.faces.length, 0),
    same_person: maxDistance === null ? null : maxDistance <= opts.threshold,
    verdict_reason: reason,
    max_distance: maxDistance,
    distances,
    distance_image_ids: withFace.map((i) => i.id),
    threshold: opts.threshold,
    model,
  };
}

function mixedModels(
  images: ImageRecord[],
  done: ImageRecord[],
  threshold: number,
  model: ModelInfo,
): Summary {
  const withFace = done.filter((i) => i.faces.length > 0);
  return {
    images_done: done.length,
    images_failed: images.filter((i) => i.status === 'failed').length,
    images_without_face: done.length - withFace.length,
    faces_total: done.reduce((n, i) => n + i.faces.length, 0),
    same_person: null,
    verdict_reason: 'The images were encoded by different models, so their encodings cannot be compared.',
    max_distance: null,
    distances: [],
    distance_image_ids: [],
    threshold,
    model,
  };
}
