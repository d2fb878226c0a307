import { describe, expect, it } from 'vitest';
import { faceDistance } from '../src/index.js';

describe('faceDistance', () => {
  it('is the Euclidean distance', () => {
    expect(faceDistance([0, 0], [3, 4])).toBe(5);
    expect(faceDistance(new Float32Array([1, 2, 3]), [1, 2, 3])).toBe(0);
  });
  it('throws on a length mismatch', () => {
    expect(() => faceDistance([1], [1, 2])).toThrow(RangeError);
  });
});
