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
    // Eight dimensions at a time, then give up on the row once it is already too far.
    for (let d = 0; d < ENCODING_DIMS && sq <= worst; d += 8) {
      const o = base + d;
      const a0 = matrix[o]! - probe[d]!;
      const a1 = matrix[o + 1]! - probe[d + 1]!;
      const a2 = matrix[o + 2]! - probe[d + 2]!;
      const a3 = matrix[o + 3]! - probe[d + 3]!;
      const a4 = matrix[o + 4]! - probe[d + 4]!;
      const a5 = matrix[o + 5]! - probe[d + 5]!;
      const a6 = matrix[o + 6]! - probe[d + 6]!;
      const a7 = matrix[o + 7]! - probe[d + 7]!;
      sq += a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3 + a4 * a4 + a5 * a5 + a6 * a6 + a7 * a7;
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
