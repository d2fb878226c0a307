/**
 * Which image shapes are decodable, shared by the upload check and the worker's decoder so that an
 * image accepted with 201 is never refused later as undecodable. A pixel limit alone lets through
 * 1 × 40,000,000 (a 5 KB PNG that costs a minute of CPU and a gigabyte of memory to decode and
 * resize), so each side and the ratio of the long side to the short one are bounded as well.
 * openapi/face-encode.yaml documents both numbers.
 */
export const MAX_IMAGE_SIDE = 12_000;
export const MAX_ASPECT_RATIO = 8;

/** Why an image of this header size is refused, or null when it is within the limits. */
export function shapeProblem(width: number, height: number, maxPixels: number): string | null {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (long > MAX_IMAGE_SIDE)
    return `The image is ${width}×${height}; each side must be at most ${MAX_IMAGE_SIDE} pixels.`;
  if (long > short * MAX_ASPECT_RATIO)
    return `The image is ${width}×${height}; its aspect ratio must be at most ${MAX_ASPECT_RATIO}:1.`;
  if (width * height > maxPixels) return `The image is ${width}×${height}; the limit is ${maxPixels} pixels.`;
  return null;
}
