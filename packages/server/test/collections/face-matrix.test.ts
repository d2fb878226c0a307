// The in-memory rows of one collection: packed after removals, growing and shrinking, zeroing freed rows.
import { describe, expect, it } from 'vitest';
import { FaceMatrix } from '../../src/collections/face-matrix.js';
import { ENCODING_DIMS } from '../../src/collections/template-crypto.js';
import type { CollectionFaceRecord } from '../../src/storage/collection-store.js';

const face = (id: string): CollectionFaceRecord => ({
  id,
  collectionId: 'c',
  label: null,
  externalId: null,
  sessionId: 's',
  imageId: 'i',
  faceIndex: 0,
  createdAt: 0,
});
const fillWith = (value: number) => (into: Float32Array, offset: number) =>
  into.fill(value, offset, offset + ENCODING_DIMS);
const rowValues = (m: FaceMatrix) =>
  Array.from({ length: m.count }, (_, r) => [m.face(r).id, m.matrix[r * ENCODING_DIMS]]);

describe('FaceMatrix', () => {
  it('appends once per id and fills each row in place', () => {
    const m = new FaceMatrix();
    m.append(face('a'), fillWith(1));
    m.append(face('b'), fillWith(2));
    m.append(face('a'), fillWith(9));
    expect(rowValues(m)).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(m.matrix[2 * ENCODING_DIMS - 1]).toBe(2);
  });

  it('moves the last row into a removed one, and zeroes the freed row', () => {
    const m = new FaceMatrix();
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) m.append(face(id), fillWith(i + 1));
    expect(m.remove('b')).toBe(true);
    expect(m.remove('b')).toBe(false);
    expect(rowValues(m)).toEqual([
      ['a', 1],
      ['d', 4],
      ['c', 3],
    ]);
    expect(m.has('d') && !m.has('b')).toBe(true);
    expect(m.matrix.subarray(3 * ENCODING_DIMS, 4 * ENCODING_DIMS).every((x) => x === 0)).toBe(true);
    expect(m.remove('c')).toBe(true);
    expect(rowValues(m)).toEqual([
      ['a', 1],
      ['d', 4],
    ]);
  });

  it('grows past its room keeping every row, and gives memory back once mostly empty', () => {
    const m = new FaceMatrix(100);
    expect(m.matrix.length).toBe(100 * ENCODING_DIMS);
    for (let i = 0; i < 1000; i++) m.append(face(`f${i}`), fillWith(i));
    expect(m.matrix.length).toBeGreaterThanOrEqual(1000 * ENCODING_DIMS);
    expect(m.matrix[999 * ENCODING_DIMS]).toBe(999);
    for (let i = 0; i < 990; i++) m.remove(`f${i}`);
    expect(m.count).toBe(10);
    expect(m.matrix.length).toBeLessThan(1000 * ENCODING_DIMS);
    expect(new Set(rowValues(m).map(([, v]) => v))).toEqual(
      new Set([990, 991, 992, 993, 994, 995, 996, 997, 998, 999]),
    );
  });
});
