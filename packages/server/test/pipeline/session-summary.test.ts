import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../src/pipeline/session-summary.js';
import type { FaceRecord, ImageRecord } from '../../src/storage/records.js';

const model = { id: 'm', version: '1' };
const face = (encoding: number[], size = 100): FaceRecord => ({
  box: { x: 0, y: 0, width: size, height: size },
  score: 0.9,
  landmarks: [],
  encoding,
  quality: { face_px: size, brightness: 0.5, sharpness: 100, yaw: 0, roll: 0 },
});
const vec = (v: number) => Array.from({ length: 128 }, (_, i) => (i === 0 ? v : 0));
let n = 0;
const image = (status: ImageRecord['status'], faces: FaceRecord[] = []): ImageRecord => ({
  id: `img-${++n}`,
  sessionId: 's',
  userId: 'u',
  imageName: null,
  contentType: 'image/jpeg',
  sizeBytes: 1,
  sha256: 'x',
  width: 1,
  height: 1,
  status,
  error: null,
  createdAt: n,
  completedAt: null,
  blobKey: null,
  blobSha256: null,
  uploadExpiresAt: null,
  faces,
  model: status === 'done' ? model : null,
});

describe('buildSummary', () => {
  it('says same person when every pair of main faces is within the threshold', () => {
    const s = buildSummary(
      [image('done', [face(vec(0))]), image('done', [face(vec(0.3))]), image('done', [face(vec(0.5))])],
      {
        threshold: 0.6,
        fallbackModel: model,
      },
    );
    expect(s).toMatchObject({
      same_person: true,
      max_distance: 0.5,
      images_done: 3,
      faces_total: 3,
      verdict_reason: null,
    });
    expect(s.distances).toEqual([
      [0, 0.3, 0.5],
      [0.3, 0, 0.2],
      [0.5, 0.2, 0],
    ]);
  });

  it('says different people when one pair is beyond the threshold, using the largest face of each image', () => {
    const s = buildSummary(
      [image('done', [face(vec(0), 200), face(vec(5), 50)]), image('done', [face(vec(0.7))])],
      { threshold: 0.6, fallbackModel: model },
    );
    expect(s.same_person).toBe(false);
    expect(s.max_distance).toBeCloseTo(0.7);
  });

  it('is undecidable with fewer than two faces, and says why', () => {
    const s = buildSummary([image('done', [face(vec(0))]), image('done', []), image('failed')], {
      threshold: 0.6,
      fallbackModel: model,
    });
    expect(s).toMatchObject({
      same_person: null,
      max_distance: null,
      images_without_face: 1,
      images_failed: 1,
    });
    expect(s.verdict_reason).toMatch(/1 with no face/);
  });

  it('reports the model stored with the encodings, not the reading process’s', () => {
    const stored = { id: 'face-api/ssd', version: '1.7.15' };
    const done = { ...image('done', [face(vec(0))]), model: stored };
    const s = buildSummary([done, { ...image('done', [face(vec(0.1))]), model: stored }], {
      threshold: 0.6,
      fallbackModel: { id: 'remote:elsewhere', version: '9' },
    });
    expect(s.model).toEqual(stored);
    expect(s.same_person).toBe(true);
  });

  it('refuses to compare encodings of different models', () => {
    const a = { ...image('done', [face(vec(0))]), model: { id: 'a', version: '1' } };
    const b = { ...image('done', [face(vec(0))]), model: { id: 'b', version: '1' } };
    const s = buildSummary([a, b], { threshold: 0.6, fallbackModel: model });
    expect(s).toMatchObject({ same_person: null, max_distance: null, distances: [], images_done: 2 });
    expect(s.verdict_reason).toMatch(/different models/);
  });
});
