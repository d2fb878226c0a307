import { ENCODING_DIMS } from './template-crypto.js';

export interface Neighbour {
  /** Row of the matrix. */
  index: number;
  /** Euclidean distance to the probe. */
  distance: number;
}

/**
 * Exact k-nearest neighbours by Euclidean distance over `count` rows of 128 float32 numbers, keeping
 * only those within `maxDistance`. Brute force: one pass, a small sorted list of the best k.
 * Ties break by row order, so results are deterministic.
 */
export function exactSearch(
  matrix: Float32Array,
  count: number,
  probe: Float32Array,
  k: number,
  maxDistance: number,
): Neighbour[] {
  const limit = maxDistance * maxDistance;
  const best: Array<{ index: number; sq: number }> = [];
  let worst = limit;
  for (let row = 0; row < count; row++) {
    const base = row * ENCODING_DIMS;
    let sq = 0;
    for (let d = 0; d < ENCODING_DIMS; d++) {
      const diff = matrix[base + d]! - probe[d]!;
      sq += diff * diff;
      if (sq > worst) break;
    }
    if (sq > worst) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.sq > sq) at--;
    best.splice(at, 0, { index: row, sq });
    if (best.length > k) best.pop();
    if (best.length === k) worst = best[k - 1]!.sq;
  }
  return best.map((b) => ({ index: b.index, distance: Math.sqrt(b.sq) }));
}
