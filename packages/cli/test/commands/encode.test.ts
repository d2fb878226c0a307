import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHome, json } from '../helpers/cli.js';
import { blankPng, cropFace, samplePhoto, textAsJpeg, type Box } from '../helpers/images.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

interface FaceJson {
  box: Box;
  score: number;
  quality: { face_px: number; brightness: number; sharpness: number; yaw: number; roll: number };
  encoding?: number[];
}
interface SummaryJson {
  session_id: string;
  status: string;
  images: { image_id: string; image_name: string; status: string; faces: FaceJson[] }[];
  summary: {
    same_person: boolean | null;
    max_distance: number | null;
    distances: number[][];
    distance_image_ids: string[];
    threshold: number;
  };
}

const USER = 'encode-user';
let server: TestServer;
let home: CliHome;
let dir: string;
let faceA: string;
let faceAFlipped: string;
let faceB: string;
let blank: string;

const cli = (args: string[], user = USER) => home.run([...args, '--url', server.url, '--user-id', user]);

beforeAll(async () => {
  server = await startTestServer({ auth: 'demo' });
  home = new CliHome();
  dir = mkdtempSync(join(tmpdir(), 'face-encode-encode-'));
  blank = await blankPng(join(dir, 'blank.png'));
  // Find the faces in a sample photo through the CLI, then make single-face crops of two people.
  const r = await cli(['encode', samplePhoto(1), '--json']);
  expect(r.code, r.stderr).toBe(0);
  const faces = json<SummaryJson>(r).images[0]?.faces ?? [];
  expect(faces.length).toBeGreaterThanOrEqual(2);
  const [first, second] = faces as [FaceJson, FaceJson];
  faceA = await cropFace(samplePhoto(1), first.box, join(dir, 'face-a.jpg'));
  faceAFlipped = await cropFace(samplePhoto(1), first.box, join(dir, 'face-a-flipped.jpg'), { flip: true });
  faceB = await cropFace(samplePhoto(1), second.box, join(dir, 'face-b.jpg'));
}, 180_000);

afterAll(async () => {
  await server?.close();
  home?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('encode', () => {
  it('prints the summary JSON without encodings unless asked', async () => {
    const r = await cli(['encode', faceA, faceAFlipped, faceB, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = json<SummaryJson & { compared_face: string }>(r);
    expect(s.status).toBe('completed');
    expect(s.compared_face).toBe('largest');
    // The matrix is in command-line order, like the image list, whatever order the uploads arrived in.
    expect(s.summary.distance_image_ids).toEqual(s.images.map((i) => i.image_id));
    expect(s.images.map((i) => i.image_name)).toEqual(['face-a.jpg', 'face-a-flipped.jpg', 'face-b.jpg']);
    for (const image of s.images) {
      expect(image.status).toBe('done');
      expect(image.faces).toHaveLength(1);
      expect(image.faces[0]).not.toHaveProperty('encoding');
      expect(image.faces[0]?.quality).toEqual(
        expect.objectContaining({ face_px: expect.any(Number), sharpness: expect.any(Number) }),
      );
    }
    const [a, aFlipped, b] = s.images.map((i) => s.summary.distance_image_ids.indexOf(i.image_id)) as [
      number,
      number,
      number,
    ];
    const d = s.summary.distances;
    expect(d).toHaveLength(3);
    // The same face mirrored is closer than another person's face.
    expect(d[a]?.[aFlipped]).toBeLessThan(d[a]?.[b] ?? 0);
    expect(s.summary.max_distance).toBe(Math.max(...d.flat()));
  });

  it('includes the 128-number encodings with --encodings', async () => {
    const r = await cli(['encode', faceA, '--encodings', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json<SummaryJson>(r).images[0]?.faces[0]?.encoding).toHaveLength(128);
  });

  it('prints faces, quality, verdict and distances for people, with plain progress off a TTY', async () => {
    const r = await cli(['encode', faceA, faceAFlipped, blank]);
    expect(r.code, r.stderr).toBe(0);
    // Every line names a file by its base name, as "Uploaded …" does.
    expect(r.stdout).toContain('1. face-a.jpg  1 face');
    expect(r.stdout).toMatch(/face 1: score \d\.\d\d, \d+ px, brightness/);
    expect(r.stdout).toContain('3. blank.png  no face found');
    expect(r.stdout).toMatch(
      /Same person: yes \(max distance 0\.\d{3}, threshold 0\.60\), comparing the largest face of each image/,
    );
    expect(r.stderr).toMatch(/Encoded face-a\.jpg: 1 face/);
    expect(r.stderr).not.toContain(dir);
    expect(r.stdout).toContain('Distances:');
    expect(r.stderr).toMatch(/Opened session [0-9a-f-]{36}/);
    expect(r.stderr).toMatch(/Uploaded face-a\.jpg/);
    expect(r.stderr).not.toContain('\u001b[');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('refuses 6 files, or a bad one, before opening a session (exit 5)', async () => {
    const user = 'encode-refused';
    const six = await cli(['encode', faceA, faceA, faceA, faceA, faceA, faceA], user);
    expect(six.code).toBe(5);
    const bad = await cli(['encode', faceA, textAsJpeg(join(dir, 'text.jpg'))], user);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('is not a JPEG, PNG, WebP or GIF image');
    const list = await cli(['session', 'list', '--json'], user);
    expect(json<{ items: unknown[] }>(list).items).toHaveLength(0);
  });

  it('needs at least one file (exit 2)', async () => {
    expect((await cli(['encode'])).code).toBe(2);
  });
});

describe('compare', () => {
  it('says the same face mirrored is the same person, with the distance', async () => {
    const same = await cli(['compare', faceA, faceAFlipped, '--json']);
    expect(same.code, same.stderr).toBe(0);
    const s = json<{
      same_person: boolean;
      distance: number;
      threshold: number;
      session_id: string;
      compared_face: string;
      files: { name: string; path: string; faces: number }[];
    }>(same);
    expect(s.compared_face).toBe('largest');
    expect(s.files.map((f) => f.name)).toEqual(['face-a.jpg', 'face-a-flipped.jpg']);
    expect(s.same_person).toBe(true);
    expect(s.distance).toBeLessThanOrEqual(s.threshold);
    expect(s.files.map((f) => [f.path, f.faces])).toEqual([
      [faceA, 1],
      [faceAFlipped, 1],
    ]);

    const other = json<{ same_person: boolean; distance: number }>(
      await cli(['compare', faceA, faceB, '--json']),
    );
    expect(other.distance).toBeGreaterThan(s.distance);

    const human = await cli(['compare', faceA, faceAFlipped]);
    expect(human.stdout).toMatch(
      /^Same person: distance 0\.\d{3} \(threshold 0\.60\), comparing the largest face of each image\./,
    );
    expect(human.stdout).toContain('  face-a.jpg: 1 face');
  });

  it('cannot tell without a face, and says why', async () => {
    const r = await cli(['compare', faceA, blank, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ same_person: null, distance: null, verdict_reason: expect.any(String) });
  });
});
