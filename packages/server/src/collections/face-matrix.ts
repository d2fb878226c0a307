import type { CollectionFaceRecord } from '../storage/collection-store.js';
import { ENCODING_DIMS } from './template-crypto.js';

/** The least rows a matrix keeps room for, so small collections do not reallocate on every add. */
const MIN_ROWS = 64;

/**
 * One collection in memory: its faces and their encodings, row `i` of the matrix (128 float32
 * numbers) being `faces[i]`. Appends grow the matrix by half again (or to a size hint given up
 * front, so a load allocates once); a removal moves the last row into the hole, so rows stay
 * packed and a search scans exactly `count` rows. Freed rows are zeroed: no template lingers.
 */
export class FaceMatrix {
  #matrix: Float32Array;
  readonly #faces: CollectionFaceRecord[] = [];
  readonly #rowOf = new Map<string, number>();

  /** `capacity`: the rows to allocate now (the expected size). */
  constructor(capacity = 0) {
    this.#matrix = new Float32Array(Math.max(MIN_ROWS, capacity) * ENCODING_DIMS);
  }

  get count(): number {
    return this.#faces.length;
  }

  /** Rows 0 to count - 1 hold the faces; rows past them are spare room (zeros). */
  get matrix(): Float32Array {
    return this.#matrix;
  }

  face(row: number): CollectionFaceRecord {
    const face = this.#faces[row];
    if (!face) throw new RangeError(`No face at row ${row}.`);
    return face;
  }

  has(faceId: string): boolean {
    return this.#rowOf.has(faceId);
  }

  /** Adds a face unless present; `fill` writes its 128 numbers at `offset` (decrypting in place). */
  append(face: CollectionFaceRecord, fill: (into: Float32Array, offset: number) => void): void {
    if (this.#rowOf.has(face.id)) return;
    const row = this.count;
    this.#reserve(row + 1);
    fill(this.#matrix, row * ENCODING_DIMS);
    this.#rowOf.set(face.id, row);
    this.#faces.push(face);
  }

  /** Removes a face; false when it is not here. */
  remove(faceId: string): boolean {
    const row = this.#rowOf.get(faceId);
    if (row === undefined) return false;
    const last = this.count - 1;
    if (row !== last) {
      this.#matrix.copyWithin(row * ENCODING_DIMS, last * ENCODING_DIMS, (last + 1) * ENCODING_DIMS);
      const moved = this.face(last);
      this.#faces[row] = moved;
      this.#rowOf.set(moved.id, row);
    }
    this.#matrix.fill(0, last * ENCODING_DIMS, (last + 1) * ENCODING_DIMS);
    this.#faces.pop();
    this.#rowOf.delete(faceId);
    // Give memory back once the collection has shrunk to a quarter of its room.
    const rows = this.#matrix.length / ENCODING_DIMS;
    if (rows > MIN_ROWS && this.count * 4 < rows) this.#resize(Math.max(MIN_ROWS, this.count * 2));
    return true;
  }

  #reserve(rows: number): void {
    const capacity = this.#matrix.length / ENCODING_DIMS;
    if (rows > capacity) this.#resize(Math.max(rows, Math.ceil(capacity * 1.5)));
  }

  #resize(rows: number): void {
    const next = new Float32Array(rows * ENCODING_DIMS);
    next.set(this.#matrix.subarray(0, this.count * ENCODING_DIMS));
    this.#matrix.fill(0);
    this.#matrix = next;
  }
}
