// Matching detections to labels and recall by slice.
import type { FaceBox } from '../storage/records.js';
import type { EvalImage, Label } from './eval-set.js';

export const MIN_IOU = 0.4;

export function iou(a: FaceBox, b: FaceBox): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter || 1);
}

export interface ImageScore {
  /** For each label, whether a detection matched it. */
  hits: boolean[];
  falsePositives: number;
}

/** Greedy one-to-one matching, best IoU first; detections of "ignore" labels count for nothing. */
export function scoreImage(labels: Label[], found: FaceBox[]): ImageScore {
  const pairs: Array<[number, number, number]> = [];
  labels.forEach((l, i) =>
    found.forEach((f, j) => {
      const v = iou(l.box, f);
      if (v >= MIN_IOU) pairs.push([v, i, j]);
    }),
  );
  pairs.sort((a, b) => b[0] - a[0]);
  const hits = labels.map(() => false);
  const used = found.map(() => false);
  for (const [, i, j] of pairs) {
    if (hits[i] || used[j]) continue;
    hits[i] = true;
    used[j] = true;
  }
  // A detection overlapping an ignored label a little is not a false positive either.
  const ignored = labels.filter((l) => l.ignore);
  const falsePositives = found.filter(
    (f, j) => !used[j] && !ignored.some((l) => iou(l.box, f) >= 0.2),
  ).length;
  return { hits, falsePositives };
}

export function sizeSlice(box: FaceBox): string {
  const w = box.width;
  if (w < 48) return 'face < 48 px';
  if (w < 96) return 'face 48–96 px';
  if (w < 192) return 'face 96–192 px';
  return 'face ≥ 192 px';
}

/** The slices a label belongs to: all, its size, its edge (or none), its image's transform. */
export function slicesOf(image: EvalImage, label: Label): string[] {
  return [
    'all',
    sizeSlice(label.box),
    label.edge ? `cut by ${label.edge} edge` : 'not cut',
    `transform: ${image.transform}`,
  ];
}

export class Tally {
  readonly slices = new Map<string, { hit: number; total: number }>();
  images = 0;
  falsePositives = 0;
  noFaceImages = 0;
  noFaceFalsePositives = 0;

  add(image: EvalImage, score: ImageScore): void {
    this.images++;
    this.falsePositives += score.falsePositives;
    if (image.transform === 'no-face') {
      this.noFaceImages++;
      this.noFaceFalsePositives += score.falsePositives;
    }
    image.faces.forEach((label, i) => {
      if (label.ignore) return;
      for (const slice of slicesOf(image, label)) {
        const s = this.slices.get(slice) ?? { hit: 0, total: 0 };
        s.total++;
        if (score.hits[i]) s.hit++;
        this.slices.set(slice, s);
      }
    });
  }
}
