/**
 * Anchor boxes of face-api's SSD MobileNet v1 for any input size.
 *
 * The shipped model stores its anchors for a 512×512 input only (5118 boxes in `output_layer.extra_dim`).
 * They follow the TF Object Detection API's SSD generator: six feature maps, scales 0.2–0.95, aspect
 * ratios 1, 2, ½, 3, ⅓ plus one in-between scale, three boxes on the first map. To run the detector on
 * a smaller or non-square input we regenerate them: centres on the new feature-map grid, sizes kept in
 * *pixels* (the size they have at 512), because the convolutions respond to faces of a pixel size.
 * Scaling the sizes with the input instead makes every box too small.
 */

/** The size, in pixels, of the input the model was trained on and its anchors are defined for. */
export const SSD_TRAINED_SIDE = 512;

const SCALES = [0.2, 0.35, 0.5, 0.65, 0.8, 0.95];

/** [height, width] of each anchor of one cell of feature map `level`, as fractions of 512 px. */
function cellAnchors(level: number): Array<[number, number]> {
  if (level === 0) {
    // The lowest layer has three boxes: a small square and two at scale 0.2 with ratios 2 and ½.
    return [
      [0.1, 0.1],
      [0.2 / Math.SQRT2, 0.2 * Math.SQRT2],
      [0.2 * Math.SQRT2, 0.2 / Math.SQRT2],
    ];
  }
  const scale = SCALES[level] as number;
  const next = SCALES[level + 1] ?? 1;
  const between = Math.sqrt(scale * next);
  const boxes: Array<[number, number]> = [
    [scale, scale],
    [between, between],
  ];
  for (const ratio of [2, 0.5, 3, 1 / 3]) boxes.push([scale / Math.sqrt(ratio), scale * Math.sqrt(ratio)]);
  return boxes;
}

/** Anchors per cell of each of the six feature maps. */
export const SSD_ANCHORS_PER_CELL = [3, 6, 6, 6, 6, 6] as const;

/**
 * Anchors for feature maps of the given [rows, columns] (one per level, lowest first) on an input of
 * `inputHeight`×`inputWidth` pixels, as [ymin, xmin, ymax, xmax] fractions of that input, in the order
 * the box predictors emit them (row, column, anchor).
 */
export function ssdAnchors(
  featureMaps: ReadonlyArray<readonly [number, number]>,
  inputHeight: number,
  inputWidth: number,
): Float32Array {
  const count = featureMaps.reduce((n, [h, w], level) => n + h * w * cellAnchors(level).length, 0);
  const out = new Float32Array(count * 4);
  let i = 0;
  featureMaps.forEach(([rows, cols], level) => {
    const cell = cellAnchors(level);
    for (let y = 0; y < rows; y++) {
      const cy = (y + 0.5) / rows;
      for (let x = 0; x < cols; x++) {
        const cx = (x + 0.5) / cols;
        for (const [h, w] of cell) {
          const hh = (h * SSD_TRAINED_SIDE) / inputHeight / 2;
          const hw = (w * SSD_TRAINED_SIDE) / inputWidth / 2;
          out[i++] = cy - hh;
          out[i++] = cx - hw;
          out[i++] = cy + hh;
          out[i++] = cx + hw;
        }
      }
    }
  });
  return out;
}
