// How an image's faces are kept in its row, the same in SQLite and PostgreSQL: box, score and quality as JSON
// (`faces`), every encoding as little-endian float64s in one binary column (`encodings`), and the landmarks as JSON
// in a column of their own (`landmarks`), read only when asked. Parsing numbers from JSON was most of a session
// poll (each face is 128 encoding and 136 landmark numbers); float64 keeps every encoding exactly. Rows written
// before schema 5 and 6 (PostgreSQL 0004 and 0005) hold what those added inside `faces`, and read as they are.
import type { FaceRecord, Point } from './records.js';

/** A face as the `faces` column holds it: rows written before the split also carry the rest. */
export type StoredFace = Omit<FaceRecord, 'landmarks' | 'encoding'> &
  Partial<Pick<FaceRecord, 'landmarks' | 'encoding'>>;

/** The columns of a row's faces. */
export interface FaceColumns {
  faces: StoredFace[];
  /** Each face's encoding, in order; null before the split or when there is no face. */
  encodings: Buffer | null;
  /** Each face's landmarks, in order; null before the split, or when not selected. */
  landmarks: Point[][] | null;
}

const FLOAT64 = 8;

/** The columns an outcome's faces are written to. */
export function toFaceColumns(faces: FaceRecord[]): FaceColumns {
  return {
    faces: faces.map(({ landmarks: _landmarks, encoding: _encoding, ...face }) => face),
    encodings: faces.length > 0 ? encodeAll(faces.map((f) => f.encoding)) : null,
    landmarks: faces.map((f) => f.landmarks ?? []),
  };
}

/** The faces of a row; each with its landmarks when they were selected. */
export function fromFaceColumns(c: FaceColumns): FaceRecord[] {
  const encodings = c.encodings ? decodeAll(c.encodings, c.faces.length) : null;
  const { landmarks } = c;
  return c.faces.map((face, i) => ({
    ...face,
    encoding: encodings?.[i] ?? face.encoding ?? [],
    ...(landmarks ? { landmarks: landmarks[i] ?? [] } : {}),
  }));
}

function encodeAll(encodings: number[][]): Buffer {
  const dims = encodings[0]?.length ?? 0;
  const out = Buffer.allocUnsafe(encodings.length * dims * FLOAT64);
  encodings.forEach((encoding, f) => {
    // One width for all, so the reader can split the column without a length per face.
    if (encoding.length !== dims)
      throw new Error(`Encodings of one image differ in length: ${encoding.length} ≠ ${dims}.`);
    encoding.forEach((v, i) => out.writeDoubleLE(v, (f * dims + i) * FLOAT64));
  });
  return out;
}

function decodeAll(buffer: Buffer, faces: number): number[][] {
  const dims = faces > 0 ? buffer.length / FLOAT64 / faces : 0;
  return Array.from({ length: faces }, (_, f) => {
    const encoding = new Array<number>(dims);
    for (let i = 0; i < dims; i++) encoding[i] = buffer.readDoubleLE((f * dims + i) * FLOAT64);
    return encoding;
  });
}
