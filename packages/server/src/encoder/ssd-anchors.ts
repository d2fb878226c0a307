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
  const ys = cellCentres(
    featureMaps.map(([rows]) => rows),
    inputHeight,
  );
  const xs = cellCentres(
    featureMaps.map(([, cols]) => cols),
    inputWidth,
  );
  let i = 0;
  featureMaps.forEach(([rows, cols], level) => {
    const cell = cellAnchors(level);
    for (let y = 0; y < rows; y++) {
      const cy = (ys[level] as Float64Array)[y] as number;
      for (let x = 0; x < cols; x++) {
        const cx = (xs[level] as Float64Array)[x] as number;
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

/**
 * Anchor centres along one axis, as fractions of the input, for maps of `sizes` cells (lowest level first).
 *
 * At 512 every map has an even size and the TF generator's centres, (i + 0.5) / cells, sit at a fixed
 * offset from each cell's receptive field, which the box regressors learned. A 3×3 stride-2 'same' conv
 * on an odd-sized map pads one cell at the start instead of none, which moves every output cell's field
 * back by one input cell; spreading the centres evenly over the input instead (as a plain (i + 0.5) /
 * cells would on, say, a 352-px side, whose maps are 22, 11, 6, 3, 2, 1) misplaces deep-level anchors by
 * up to half their stride. So centres follow the real strides and shifts, and boxes land where the
 * network means them.
 */
function cellCentres(sizes: readonly number[], inputSide: number): Float64Array[] {
  const first = sizes[0] ?? 1;
  let stride = inputSide / first;
  let shift = 0;
  return sizes.map((cells, level) => {
    if (level >= 2) {
      // This level comes from a stride-2 conv over the previous one.
      const previous = sizes[level - 1] as number;
      if (previous % 2 === 1) shift += stride;
      stride *= 2;
    } else if (level === 1) {
      stride *= 2;
    }
    const out = new Float64Array(cells);
    for (let i = 0; i < cells; i++) out[i] = ((i + 0.5) * stride - shift) / inputSide;
    return out;
  });
}
