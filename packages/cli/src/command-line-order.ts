import type { SessionSummary } from '@face-encode/sdk/node';

/**
 * The summary with its images and its distance matrix in command-line order. Concurrent uploads reach
 * the server in any order and the server numbers images (and the matrix) by arrival, so both are
 * permuted by the same order here: the image list and the matrix always agree.
 */
export function inCommandLineOrder(summary: SessionSummary, imageIds: string[]): SessionSummary {
  const order = new Map(imageIds.map((id, i) => [id, i]));
  const position = (id: string) => order.get(id) ?? Number.MAX_SAFE_INTEGER;
  const byPosition = (a: string, b: string) => position(a) - position(b);
  const images = [...summary.images].sort((a, b) => byPosition(a.image_id, b.image_id));
  const ids = summary.summary.distance_image_ids;
  const sorted = ids.map((id, i) => ({ id, i })).sort((a, b) => byPosition(a.id, b.id));
  const distances = sorted.map(({ i }) => sorted.map(({ i: j }) => summary.summary.distances[i]?.[j] ?? 0));
  return {
    ...summary,
    images,
    summary: { ...summary.summary, distance_image_ids: sorted.map(({ id }) => id), distances },
  };
}
