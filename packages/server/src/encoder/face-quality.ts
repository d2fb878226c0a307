import type { FaceBox, FaceQuality, Point } from '../storage/records.js';

/** Pixels of one RGB image, row-major. */
export interface RgbImage {
  pixels: Uint8Array;
  width: number;
  height: number;
}

const DEG = 180 / Math.PI;

/**
 * Quality of one face. `box` and `landmarks` are in the coordinates of `image`; `scale` maps source
 * pixels to image pixels, so `face_px` is reported in source pixels.
 */
export function faceQuality(image: RgbImage, box: FaceBox, landmarks: Point[], scale: number): FaceQuality {
  const gray = grayCrop(image, box);
  return {
    face_px: round(Math.min(box.width, box.height) / scale, 1),
    brightness: round(mean(gray.values) / 255, 3),
    sharpness: round(laplacianVariance(gray), 1),
    ...headPose(landmarks),
  };
}

interface GrayCrop {
  values: Float32Array;
  width: number;
  height: number;
}

function grayCrop(image: RgbImage, box: FaceBox): GrayCrop {
  const x0 = clamp(Math.floor(box.x), 0, image.width - 1);
  const y0 = clamp(Math.floor(box.y), 0, image.height - 1);
  const x1 = clamp(Math.ceil(box.x + box.width), x0 + 1, image.width);
  const y1 = clamp(Math.ceil(box.y + box.height), y0 + 1, image.height);
  const width = x1 - x0;
  const height = y1 - y0;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = ((y0 + y) * image.width + (x0 + x)) * 3;
      // ITU-R BT.601 luma.
      values[y * width + x] =
        0.299 * (image.pixels[i] ?? 0) +
        0.587 * (image.pixels[i + 1] ?? 0) +
        0.114 * (image.pixels[i + 2] ?? 0);
    }
  }
  return { values, width, height };
}

/** Variance of the 4-neighbour Laplacian: low on blurry faces, high on sharp ones. */
function laplacianVariance({ values, width, height }: GrayCrop): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const c = values[y * width + x] ?? 0;
      const lap =
        (values[(y - 1) * width + x] ?? 0) +
        (values[(y + 1) * width + x] ?? 0) +
        (values[y * width + x - 1] ?? 0) +
        (values[y * width + x + 1] ?? 0) -
        4 * c;
      sum += lap;
      sumSq += lap * lap;
      n++;
    }
  }
  const m = sum / n;
  return sumSq / n - m * m;
}

/**
 * Yaw and roll in degrees from the 68-point landmarks (iBUG layout). Roll is the angle of the line
 * between the eye centres. Yaw is approximated from where the nose tip (30) sits between the jaw
 * ends (0 and 16): centred is 0°, at a jaw end is ±90° (asin of the normalised offset). Positive yaw:
 * the face turns towards the image's right.
 */
export function headPose(landmarks: Point[]): { yaw: number; roll: number } {
  if (landmarks.length < 68) return { yaw: 0, roll: 0 };
  const leftEye = centroid(landmarks.slice(36, 42));
  const rightEye = centroid(landmarks.slice(42, 48));
  const roll = Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x) * DEG;
  const jawLeft = landmarks[0] as Point;
  const jawRight = landmarks[16] as Point;
  const nose = landmarks[30] as Point;
  const dx = jawRight.x - jawLeft.x;
  const dy = jawRight.y - jawLeft.y;
  const len = Math.hypot(dx, dy) || 1;
  // Project the nose onto the jaw line; t = 0.5 is centred.
  const t = ((nose.x - jawLeft.x) * dx + (nose.y - jawLeft.y) * dy) / (len * len);
  const yaw = Math.asin(clamp((t - 0.5) * 2, -1, 1)) * DEG;
  return { yaw: round(yaw, 1), roll: round(roll, 1) };
}

function centroid(points: Point[]): Point {
  const sum = points.reduce((acc, p) => ({ x: acc.x + p.x, y: acc.y + p.y }), { x: 0, y: 0 });
  return { x: sum.x / points.length, y: sum.y / points.length };
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length ? sum / values.length : 0;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
