import { describe, expect, it } from 'vitest';
import { cropSquareRgb } from '../../src/encoder/decode-image.js';

/** A `width`×`height` grey RGB image with a white `size`-px square at (`x`, `y`). */
function image(width: number, height: number, x: number, y: number, size: number): Uint8Array {
  const px = new Uint8Array(width * height * 3).fill(100);
  for (let r = y; r < y + size; r++) px.fill(255, (r * width + x) * 3, (r * width + x + size) * 3);
  return px;
}

const at = (c: { pixels: Uint8Array; width: number }, x: number, y: number) =>
  c.pixels[(y * c.width + x) * 3] as number;

describe('cropSquareRgb', () => {
  it('pads the part of the square outside the image with black and maps crop pixels back', async () => {
    // A 20-px white square at the right edge of a 100×60 image; the 40-px crop centred on it sticks out
    // 10 px past the right edge and is resized to 80 px (2×).
    const crop = await cropSquareRgb(
      image(100, 60, 80, 20, 20),
      100,
      60,
      { left: 70, top: 10, side: 40 },
      80,
    );
    expect([crop.width, crop.height]).toEqual([80, 80]);
    expect(crop.scale).toBeCloseTo(2, 6);
    expect([crop.x0, crop.y0]).toEqual([70, 10]);
    expect(at(crop, 79, 40)).toBe(0); // beyond the image's right edge: black
    expect(at(crop, 5, 5)).toBe(100); // the image's grey
    expect(at(crop, 40, 40)).toBe(255); // the square: crop (40, 40) is image (90, 30)
  });

  it('offsets the mapping by the padding when the square starts before the image', async () => {
    const crop = await cropSquareRgb(image(50, 50, 0, 0, 10), 50, 50, { left: -10, top: -20, side: 40 }, 40);
    expect([crop.x0, crop.y0]).toEqual([-10, -20]);
    expect(at(crop, 5, 5)).toBe(0);
    expect(at(crop, 15, 25)).toBe(255); // image (5, 5)
    expect(at(crop, 25, 35)).toBe(100); // image (15, 15)
  });
});
