// Detection recall against stock face-api on images generated from face-api's samples (and the issue's
// 8-face collage from ../shared when it exists). Labels come from stock face-api on the untransformed
// photo, mapped through the transform (src/detect-eval/eval-set.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchPortrait } from '../../src/bench/selfie.js';
import { FaceApiEncoder } from '../../src/encoder/faceapi-encoder.js';
import {
  edgeTransforms,
  loadSource,
  noFaceImages,
  sharedCollage,
  wholeImageTransforms,
  sourceFiles,
  type EvalImage,
  type Source,
} from '../../src/detect-eval/eval-set.js';
import { scoreImage } from '../../src/detect-eval/score.js';
import { stockDetect } from '../../src/detect-eval/stock-face-api.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const sharedDir = join(root, '../shared/fixtures/faces');

const encoder = new FaceApiEncoder();
let samples: Source[];

beforeAll(async () => {
  await encoder.init();
  samples = [];
  for (const f of sourceFiles()) samples.push(await loadSource(f.name, f.path, stockDetect));
}, 300_000);

const found = async (image: EvalImage) => (await encoder.detectFaces(image.bytes)).map((f) => f.box);

describe('detection recall', () => {
  it('finds the labelled number of faces in every face-api sample', async () => {
    for (const [i, f] of sourceFiles().entries()) {
      const result = await encoder.encode(readFileSync(f.path));
      expect(result.faces.length, f.name).toBe(samples[i]?.faces.length);
      expect(result.faces.length, f.name).toBeGreaterThan(0);
    }
  }, 300_000);

  it("finds both faces of the issue's 768×1154 portrait from sample1: the sitter and a neighbour cut by the frame", async () => {
    // The quick pass scores the neighbour 0.83: it is rechecked on a crop, not by a full pass.
    const portrait = await benchPortrait();
    const ours = (await encoder.detectFaces(portrait)).map((f) => f.box);
    expect(ours).toHaveLength(2);
    const stock = (await stockDetect(portrait)).map((f) => ({ box: f.box, edge: null, ignore: false }));
    expect(scoreImage(stock, ours).hits.every(Boolean)).toBe(true);
  }, 300_000);

  it('finds every face cut by an edge of the frame that stock face-api finds', async () => {
    const edges = new Set<string>();
    const misses: string[] = [];
    for (const s of samples) {
      for (const image of await edgeTransforms(s, 2)) {
        const stock = scoreImage(
          image.faces,
          (await stockDetect(image.bytes)).map((f) => f.box),
        );
        const ours = scoreImage(image.faces, await found(image));
        image.faces.forEach((label, i) => {
          if (label.ignore || !label.edge) return;
          if (stock.hits[i]) edges.add(label.edge);
          if (stock.hits[i] && !ours.hits[i]) misses.push(`${image.name}: face ${i}`);
        });
      }
    }
    // Each edge has faces stock face-api finds, and each of those is found.
    expect([...edges].sort()).toEqual(['bottom', 'left', 'right', 'top']);
    expect(misses).toEqual([]);
  }, 600_000);

  it('gives one box per face: no second, offset box inside a face already found (sample2 rotated 20°)', async () => {
    // The 512 pass finds sample2's left face twice there: 0.62 on the face, 0.55 on a larger box around
    // it (IoU 0.30, under NMS's threshold, but 66% of the smaller box is inside the larger).
    const sample2 = samples.find((s) => s.name === 'sample2') as Source;
    const rotated = (await wholeImageTransforms(sample2)).find(
      (i) => i.name === 'sample2 rotate 20',
    ) as EvalImage;
    const ours = scoreImage(rotated.faces, await found(rotated));
    const stock = scoreImage(
      rotated.faces,
      (await stockDetect(rotated.bytes)).map((f) => f.box),
    );
    expect(ours.falsePositives).toBe(0);
    expect(ours.hits.filter(Boolean).length).toBeGreaterThanOrEqual(stock.hits.filter(Boolean).length);
  }, 300_000);

  it('finds no face in images without one, and no more there than stock face-api', async () => {
    let ours = 0;
    let stock = 0;
    for (const image of await noFaceImages(samples)) {
      const faces = await found(image);
      expect(faces, image.name).toHaveLength(0);
      ours += faces.length;
      stock += (await stockDetect(image.bytes)).length;
    }
    expect(ours).toBeLessThanOrEqual(stock);
  }, 300_000);

  it.skipIf(!existsSync(sharedDir))(
    "finds all 8 faces of the issue's letterboxed 2400×1200 collage (needs ../shared)",
    async () => {
      const sources: Source[] = [];
      for (const f of sourceFiles(sharedDir).filter((f) => !f.name.startsWith('sample'))) {
        sources.push(await loadSource(f.name, f.path, stockDetect));
      }
      const collage = (await sharedCollage(sources)) as EvalImage;
      expect(collage.faces.filter((f) => !f.ignore)).toHaveLength(8);
      const score = scoreImage(collage.faces, await found(collage));
      expect(score.hits.filter(Boolean)).toHaveLength(8);
    },
    300_000,
  );
  if (!existsSync(sharedDir)) console.log(`skipping the 8-face collage test: ${sharedDir} not found`);
});
