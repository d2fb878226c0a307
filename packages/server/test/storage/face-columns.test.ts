import { expect, it } from 'vitest';
import { fromFaceColumns, toFaceColumns } from '../../src/storage/face-columns.js';
import { sampleFace } from './metadata-store.conformance.js';

it('keeps every encoding exactly, as float64s, and the landmarks apart', () => {
  const faces = [sampleFace(1), sampleFace(2), sampleFace(3)];
  const columns = toFaceColumns(faces);
  expect(columns.encodings?.length).toBe(3 * 128 * 8);
  expect(JSON.stringify(columns.faces)).not.toMatch(/encoding|landmarks/);
  // Through JSON, as a store writes and reads the other two columns.
  const stored = JSON.parse(JSON.stringify({ faces: columns.faces, landmarks: columns.landmarks })) as {
    faces: typeof columns.faces;
    landmarks: typeof columns.landmarks;
  };
  expect(fromFaceColumns({ ...stored, encodings: columns.encodings })).toEqual(faces);
  const withoutLandmarks = faces.map(({ landmarks: _landmarks, ...face }) => face);
  expect(fromFaceColumns({ ...stored, encodings: columns.encodings, landmarks: null })).toEqual(
    withoutLandmarks,
  );
});

it('reads a row written before the split, everything inside faces', () => {
  const faces = [sampleFace(4)];
  expect(fromFaceColumns({ faces, encodings: null, landmarks: null })).toEqual(faces);
});

it('writes no encodings column for an image without faces', () => {
  expect(toFaceColumns([])).toEqual({ faces: [], encodings: null, landmarks: [] });
});

it('refuses encodings of different lengths, which one column could not split again', () => {
  const short = { ...sampleFace(1), encoding: [0.5] };
  expect(() => toFaceColumns([sampleFace(2), short])).toThrow(/differ in length/);
});
