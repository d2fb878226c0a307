// `pnpm bench:detect`: detection recall on the generated, labelled evaluation set (src/detect-eval/), per
// detector configuration with stock face-api as the reference row, and the latency of each configuration
// on a selfie, a portrait and group photos, measured interleaved in one run. A benchmark: it asserts nothing.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { benchPortrait, benchSelfie, SHARED_FACES, sharedPortrait } from './bench/selfie.js';
import { buildEvalSet, type EvalImage } from './detect-eval/eval-set.js';
import { stockDetect, type FoundFace } from './detect-eval/stock-face-api.js';
import { scoreImage, Tally } from './detect-eval/score.js';
import { FaceApiEncoder, type FaceApiEncoderOptions } from './encoder/faceapi-encoder.js';

const sharedDir = SHARED_FACES;
const runs = Number(process.env.DETECT_EVAL_RUNS ?? 15);

interface Config {
  name: string;
  detect: (image: Buffer) => Promise<FoundFace[]>;
  /** Upload-to-faces latency of the path: the whole encode for ours, detection only for stock. */
  time: (image: Buffer) => Promise<unknown>;
}

function ours(name: string, options: FaceApiEncoderOptions): Config {
  const encoder = new FaceApiEncoder(options);
  return { name, detect: (img) => encoder.detectFaces(img), time: (img) => encoder.encode(img) };
}

const all: Config[] = [
  { name: 'stock face-api (512×512, detection only)', detect: stockDetect, time: stockDetect },
  ours(
    'ours, default (one sure face ≥ 12%: quick pass, one more candidate rechecked on a crop; else merged passes)',
    {},
  ),
  ours('ours, full pass for any unsure candidate (before)', { recheckInputSize: 0 }),
  ours('ours, quick pass final for one face ≥ 25% (before)', { closeUpMinFace: 0.25, closeUpMinScore: 0 }),
  ours('ours, 512 pass only', { closeUpInputSize: 0 }),
  ours('default + border', { edgeBorder: 0.0625 }),
  ours('default + large 1600', { largeInputSize: 1600 }),
  ...(process.env.DETECT_EVAL_TRY
    ? (JSON.parse(process.env.DETECT_EVAL_TRY) as FaceApiEncoderOptions[]).map((o) =>
        ours(JSON.stringify(o), o),
      )
    : []),
];
// An encoder build to compare with in the same run (e.g. the previous commit's), as the "before" row.
if (process.env.DETECT_EVAL_BASELINE) {
  const { FaceApiEncoder: Baseline } = (await import(process.env.DETECT_EVAL_BASELINE)) as {
    FaceApiEncoder: typeof FaceApiEncoder;
  };
  const encoder = new Baseline();
  all.splice(1, 0, {
    name: 'before',
    detect: async (img) => (await encoder.encode(img)).faces.map((f) => ({ box: f.box, score: f.score })),
    time: (img) => encoder.encode(img),
  });
}
// DETECT_EVAL_CONFIGS: a comma-separated subset of rows by their number in `all`.
const pick = process.env.DETECT_EVAL_CONFIGS?.split(',').map(Number);
const configs = pick ? pick.map((i) => all[i] as Config) : all;

const started = performance.now();
const set = await buildEvalSet(stockDetect, sharedDir);
const labelled = set.reduce((n, i) => n + i.faces.filter((f) => !f.ignore).length, 0);
console.log(
  `Evaluation set: ${set.length} images (${set.filter((i) => i.transform === 'no-face').length} without a face), ` +
    `${labelled} labelled faces; built in ${((performance.now() - started) / 1000).toFixed(0)} s. ` +
    `Labels: stock face-api's detections on the untransformed photo, mapped through the transform.\n`,
);

const tallies = new Map<string, Tally>();
const misses: Record<string, Array<{ image: string; missed: number; falsePositives: number }>> = {};
for (const c of configs) {
  const tally = new Tally();
  misses[c.name] = [];
  for (const image of set) {
    const found = await c.detect(image.bytes);
    const score = scoreImage(
      image.faces,
      found.map((f) => f.box),
    );
    tally.add(image, score);
    const missed = score.hits.filter((h, i) => !h && !image.faces[i]?.ignore).length;
    if (missed || score.falsePositives)
      misses[c.name]?.push({ image: image.name, missed, falsePositives: score.falsePositives });
  }
  tallies.set(c.name, tally);
}
if (process.env.DETECT_EVAL_MISSES)
  writeFileSync(process.env.DETECT_EVAL_MISSES, JSON.stringify(misses, null, 1));

const names = configs.map((c) => c.name);
const slices = [...(tallies.get(names[0] as string) as Tally).slices.keys()].sort((a, b) =>
  a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b),
);
console.log(`### Recall at IoU ≥ 0.4 (hits / labelled faces)\n`);
console.log(`| slice | ${names.join(' | ')} |\n| --- |${names.map(() => ' --- |').join('')}`);
for (const slice of slices) {
  const cells = names.map((n) => {
    const s = tallies.get(n)?.slices.get(slice);
    return s ? `${((100 * s.hit) / s.total).toFixed(1)}% (${s.hit}/${s.total})` : '–';
  });
  console.log(`| ${slice} | ${cells.join(' | ')} |`);
}
console.log(
  `| false positives per image | ${names
    .map((n) => {
      const t = tallies.get(n) as Tally;
      return (t.falsePositives / t.images).toFixed(3);
    })
    .join(' | ')} |`,
);
console.log(
  `| false positives on no-face images | ${names
    .map((n) => {
      const t = tallies.get(n) as Tally;
      return `${t.noFaceFalsePositives} on ${t.noFaceImages}`;
    })
    .join(' | ')} |`,
);

if (runs === 0) process.exit(0);
// Latency: the same images through every configuration, interleaved so machine load hits all alike.
const timed = await timingImages(set);
console.log(
  `\n### Latency p50 / p95, one thread, ${runs} interleaved runs (load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')})\n`,
);
console.log(`| image | ${names.join(' | ')} |\n| --- |${names.map(() => ' --- |').join('')}`);
const times = new Map<string, number[]>();
for (const c of configs) for (const t of timed) await c.time(t.bytes); // warm-up: first-shape kernels
for (let r = 0; r < runs; r++) {
  for (const t of timed) {
    for (const c of configs) {
      const t0 = performance.now();
      await c.time(t.bytes);
      const key = `${t.name}\u0000${c.name}`;
      times.set(key, [...(times.get(key) ?? []), performance.now() - t0]);
    }
  }
}
const pct = (v: number[], p: number) =>
  [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor((p / 100) * v.length))] ?? NaN;
for (const t of timed) {
  const cells = names.map((n) => {
    const v = times.get(`${t.name}\u0000${n}`) ?? [];
    return `${pct(v, 50).toFixed(0)} / ${pct(v, 95).toFixed(0)} ms`;
  });
  console.log(`| ${t.name} | ${cells.join(' | ')} |`);
}
console.log(
  `\nload average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
process.exit(0);

/** The bench's selfie (640 px, sample1's most upright face), a 768×1154 portrait, and group photos. */
async function timingImages(set: EvalImage[]): Promise<Array<{ name: string; bytes: Buffer }>> {
  const out = [
    { name: 'selfie (640 px, close-up)', bytes: await benchSelfie() },
    { name: 'portrait (768×1154, face 18%, a 2nd face cut by the edge)', bytes: await benchPortrait() },
  ];
  const single = await sharedPortrait();
  if (single) out.push({ name: 'portrait, one person (biden1 at 508×1154, face 18%)', bytes: single });
  const sample1 = set.find((i) => i.name === 'sample1') as EvalImage;
  out.push({ name: 'group: sample1.jpg (1920×1280, 3 faces)', bytes: sample1.bytes });
  const big = set.find((i) => i.name === 'shared collage 2400×1200');
  if (big) out.push({ name: 'group: shared collage (2400×1200, 8 faces)', bytes: big.bytes });
  return out;
}
