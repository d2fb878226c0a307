// The labelled detection evaluation set, generated (never stored) from face-api's demo samples and, when
// it exists, ../shared/fixtures/faces (read in place, never copied).
//
// Labels: stock face-api's detections (`detectAllFaces` + `SsdMobilenetv1Options()`) on each untransformed
// source photo, mapped through the transform. So a face stock face-api misses in the source is in no
// label (stock is 100% on the untransformed sources by construction), and a label is a face a person can
// see: after a crop, a face at least half inside the frame is labelled (cut by an edge when less than 97%
// is inside), one 10–50% inside is "ignore" (finding it is neither a hit nor a false positive).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import type { FaceBox } from '../storage/records.js';

const require = createRequire(import.meta.url);
export const SAMPLE_DIR = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

export type Edge = 'left' | 'right' | 'top' | 'bottom';

export interface Label {
  box: FaceBox;
  /** The frame edge that cuts the face, if any. */
  edge: Edge | null;
  /** Mostly outside the frame: a detection of it is neither a hit nor a false positive. */
  ignore: boolean;
}

export interface EvalImage {
  name: string;
  /** The transform that made it: none, flip, rotate, size, edge-cut, collage, no-face, … */
  transform: string;
  bytes: Buffer;
  width: number;
  height: number;
  faces: Label[];
}

/** An untransformed photo, upright RGB, with its labels. */
export interface Source {
  name: string;
  raw: Buffer;
  width: number;
  height: number;
  faces: FaceBox[];
}

export type Labeller = (image: Buffer) => Promise<Array<{ box: FaceBox }>>;

/** face-api's six demo photos and, when ../shared exists, its portraits and group photos. */
export function sourceFiles(sharedDir?: string): Array<{ name: string; path: string }> {
  const files = [1, 2, 3, 4, 5, 6].map((n) => ({
    name: `sample${n}`,
    path: join(SAMPLE_DIR, `sample${n}.jpg`),
  }));
  if (sharedDir && existsSync(sharedDir)) {
    for (const dir of readdirSync(sharedDir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      for (const f of readdirSync(join(sharedDir, dir.name))
        .filter((f) => /\.(jpe?g|png)$/i.test(f))
        .sort()) {
        files.push({ name: `${dir.name}/${f}`, path: join(sharedDir, dir.name, f) });
      }
    }
  }
  return files;
}

export async function loadSource(name: string, path: string, label: Labeller): Promise<Source> {
  const bytes = readFileSync(path);
  const { data, info } = await sharp(bytes)
    .rotate()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const faces = (await label(bytes)).map((f) => f.box);
  return { name, raw: data, width: info.width, height: info.height, faces };
}

const fromRaw = (s: Source) => sharp(s.raw, { raw: { width: s.width, height: s.height, channels: 3 } });
const jpeg = (img: Sharp, quality = 92) => img.jpeg({ quality }).toBuffer();

interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Labels of `faces` after cropping to `region` and scaling by `k`, then shifting by (dx, dy). */
export function mapFaces(faces: FaceBox[], region: Region, k: number, dx = 0, dy = 0): Label[] {
  const out: Label[] = [];
  for (const f of faces) {
    const x0 = Math.max(f.x, region.left);
    const y0 = Math.max(f.y, region.top);
    const x1 = Math.min(f.x + f.width, region.left + region.width);
    const y1 = Math.min(f.y + f.height, region.top + region.height);
    if (x1 <= x0 || y1 <= y0) continue;
    const visible = ((x1 - x0) * (y1 - y0)) / (f.width * f.height);
    if (visible < 0.1) continue;
    // The edge that cuts most of the face.
    const cuts: Array<[Edge, number]> = [
      ['left', x0 - f.x],
      ['right', f.x + f.width - x1],
      ['top', y0 - f.y],
      ['bottom', f.y + f.height - y1],
    ];
    const [edge, cut] = cuts.reduce((a, b) => (b[1] > a[1] ? b : a));
    out.push({
      box: {
        x: (x0 - region.left) * k + dx,
        y: (y0 - region.top) * k + dy,
        width: (x1 - x0) * k,
        height: (y1 - y0) * k,
      },
      edge: visible < 0.97 && cut > 0 ? edge : null,
      ignore: visible < 0.5,
    });
  }
  return out;
}

function clampRegion(s: Source, r: Region): Region {
  const left = Math.max(0, Math.round(r.left));
  const top = Math.max(0, Math.round(r.top));
  return {
    left,
    top,
    width: Math.min(s.width - left, Math.round(r.width + Math.min(0, r.left))),
    height: Math.min(s.height - top, Math.round(r.height + Math.min(0, r.top))),
  };
}

/** A crop of the source scaled by `k` (long side capped so images stay photo-sized). */
async function cropScaled(s: Source, name: string, transform: string, r: Region, k = 1): Promise<EvalImage> {
  const region = clampRegion(s, r);
  const width = Math.max(1, Math.round(region.width * k));
  const height = Math.max(1, Math.round(region.height * k));
  const bytes = await jpeg(fromRaw(s).extract(region).resize(width, height, { fit: 'fill' }));
  return { name, transform, bytes, width, height, faces: mapFaces(s.faces, region, width / region.width) };
}

const whole = (s: Source): Region => ({ left: 0, top: 0, width: s.width, height: s.height });
/** Faces of a source to build per-face transforms from: the largest few. */
const someFaces = (s: Source, n: number) => [...s.faces].sort((a, b) => b.width - a.width).slice(0, n);

/** Photometric and geometric transforms of the whole photo (labels follow the pixels). */
export async function wholeImageTransforms(s: Source): Promise<EvalImage[]> {
  const all = whole(s);
  const same = (faces: Label[]) => faces;
  const out: EvalImage[] = [await cropScaled(s, `${s.name}`, 'none', all)];
  const photometric: Array<[string, (img: Sharp) => Sharp, number?]> = [
    ['darker', (img) => img.linear(0.45, 0)],
    ['lighter', (img) => img.linear(0.55, 115)],
    ['low-contrast', (img) => img.linear(0.45, 70)],
    ['high-contrast', (img) => img.linear(1.7, -90)],
    ['jpeg-q30', (img) => img, 30],
  ];
  for (const [transform, f, quality] of photometric) {
    out.push({
      name: `${s.name} ${transform}`,
      transform,
      bytes: await jpeg(f(fromRaw(s)), quality ?? 92),
      width: s.width,
      height: s.height,
      faces: same(mapFaces(s.faces, all, 1)),
    });
  }
  out.push({
    name: `${s.name} flip`,
    transform: 'flip',
    bytes: await jpeg(fromRaw(s).flop()),
    width: s.width,
    height: s.height,
    faces: mapFaces(s.faces, all, 1).map((l) => ({
      ...l,
      box: { ...l.box, x: s.width - l.box.x - l.box.width },
    })),
  });
  for (const degrees of [-20, 20]) {
    // sharp rotates clockwise about the centre and grows the canvas to hold the whole photo.
    const t = (degrees * Math.PI) / 180;
    const [cos, sin] = [Math.cos(t), Math.sin(t)];
    const width = Math.round(s.width * Math.abs(cos) + s.height * Math.abs(sin));
    const height = Math.round(s.width * Math.abs(sin) + s.height * Math.abs(cos));
    const bytes = await jpeg(fromRaw(s).rotate(degrees, { background: '#808080' }));
    const meta = await sharp(bytes).metadata();
    const [w, h] = [meta.width ?? width, meta.height ?? height];
    out.push({
      name: `${s.name} rotate ${degrees}`,
      transform: 'rotate',
      bytes,
      width: w,
      height: h,
      faces: s.faces.map((f) => {
        const dx = f.x + f.width / 2 - s.width / 2;
        const dy = f.y + f.height / 2 - s.height / 2;
        const cx = w / 2 + dx * cos - dy * sin;
        const cy = h / 2 + dx * sin + dy * cos;
        // A rotated face's upright box is about as big as the face's own.
        return {
          box: { x: cx - f.width / 2, y: cy - f.height / 2, width: f.width, height: f.height },
          edge: null,
          ignore: false,
        };
      }),
    });
  }
  return out;
}

/** The photo scaled so one face is `px` wide, in a window of at most 1280×960 around it. */
async function sizeTransforms(s: Source, perSource: number): Promise<EvalImage[]> {
  const out: EvalImage[] = [];
  for (const [i, f] of someFaces(s, perSource).entries()) {
    for (const px of [40, 64, 100, 160, 250]) {
      const k = px / f.width;
      const w = Math.min(s.width, 1280 / k);
      const h = Math.min(s.height, 960 / k);
      const r = { left: f.x + f.width / 2 - w / 2, top: f.y + f.height / 2 - h / 2, width: w, height: h };
      // Keep the window inside the photo rather than cutting it at the face.
      r.left = Math.min(Math.max(0, r.left), s.width - w);
      r.top = Math.min(Math.max(0, r.top), s.height - h);
      out.push(await cropScaled(s, `${s.name} face${i} ${px}px`, 'size', r, k));
    }
    // A portrait (face ~18% of the long side, 2:3) and a close-up that the face fills.
    const ph = f.height / 0.18;
    out.push(
      await cropScaled(
        s,
        `${s.name} face${i} portrait`,
        'portrait',
        {
          left: f.x + f.width / 2 - ph / 3,
          top: f.y + f.height / 2 - ph * 0.4,
          width: (ph * 2) / 3,
          height: ph,
        },
        Math.min(1, 1154 / ph),
      ),
    );
    const m = f.width * 0.15;
    out.push(
      await cropScaled(
        s,
        `${s.name} face${i} full-frame`,
        'full-frame',
        { left: f.x - m, top: f.y - m, width: f.width + 2 * m, height: f.height + 2 * m },
        480 / (f.width + 2 * m),
      ),
    );
  }
  return out;
}

/** Crops in which one face is cut by each edge of the frame (30% of it outside). */
export async function edgeTransforms(s: Source, perSource: number): Promise<EvalImage[]> {
  const out: EvalImage[] = [];
  for (const [i, f] of someFaces(s, perSource).entries()) {
    const cx = f.x + f.width / 2;
    const cy = f.y + f.height / 2;
    const span = 4 * Math.max(f.width, f.height);
    const cut = 0.3;
    const regions: Record<Edge, Region> = {
      left: { left: f.x + cut * f.width, top: cy - span / 2, width: span, height: span * 0.75 },
      right: { left: f.x + (1 - cut) * f.width - span, top: cy - span / 2, width: span, height: span * 0.75 },
      top: { left: cx - span / 2, top: f.y + cut * f.height, width: span, height: span * 0.75 },
      bottom: {
        left: cx - span / 2,
        top: f.y + (1 - cut) * f.height - span * 0.75,
        width: span,
        height: span * 0.75,
      },
    };
    for (const [edge, r] of Object.entries(regions) as Array<[Edge, Region]>) {
      // Photo-sized: the long side at most 1000 px, as in the group selfie.
      const k = Math.min(1, 1000 / Math.max(r.width, r.height));
      out.push(await cropScaled(s, `${s.name} face${i} cut ${edge}`, 'edge-cut', r, k));
    }
  }
  return out;
}

/** A face with a margin, letterboxed into a square cell (white), for collages. */
interface Tile {
  source: Source;
  region: Region;
}

async function collage(name: string, tiles: Tile[], cell: number, cols: number): Promise<EvalImage> {
  const rows = Math.ceil(tiles.length / cols);
  const composites: OverlayOptions[] = [];
  const faces: Label[] = [];
  for (const [i, t] of tiles.entries()) {
    const region = clampRegion(t.source, t.region);
    const k = cell / Math.max(region.width, region.height);
    const w = Math.round(region.width * k);
    const h = Math.round(region.height * k);
    // fit: 'contain' centres the picture in its cell.
    const left = (i % cols) * cell + Math.floor((cell - w) / 2);
    const top = Math.floor(i / cols) * cell + Math.floor((cell - h) / 2);
    const input = await fromRaw(t.source).extract(region).resize(w, h, { fit: 'fill' }).png().toBuffer();
    composites.push({ input, left, top });
    faces.push(...mapFaces(t.source.faces, region, w / region.width, left, top));
  }
  const width = cols * cell;
  const height = rows * cell;
  const bytes = await jpeg(
    sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(composites),
  );
  return { name, transform: 'collage', bytes, width, height, faces };
}

export async function collages(sources: Source[]): Promise<EvalImage[]> {
  const tiles: Tile[] = sources.flatMap((s) =>
    s.faces.map((f) => {
      const m = Math.max(f.width, f.height) * 0.6;
      return {
        source: s,
        region: { left: f.x - m, top: f.y - m, width: f.width + 2 * m, height: f.height + 2 * m },
      };
    }),
  );
  const out: EvalImage[] = [];
  for (const cell of [96, 160, 256]) {
    for (let start = 0; start < tiles.length; start += 8) {
      out.push(await collage(`collage ${cell}px #${start / 8}`, tiles.slice(start, start + 8), cell, 4));
    }
  }
  return out;
}

/** The recipe: eight ../shared portraits letterboxed into 600×600 cells, 4×2 on 2400×1200. */
export const SHARED_COLLAGE = [
  'obama/obama1.jpg',
  'obama/obama2.jpg',
  'biden/biden1.jpg',
  'kit_harington/kit1.jpg',
  'kit_harington/kit2.jpg',
  'rose_leslie/rose1.jpg',
  'rose_leslie/rose2.jpg',
  'alex_lacamoire/alex1.jpg',
];

export async function sharedCollage(sources: Source[]): Promise<EvalImage | null> {
  const tiles = SHARED_COLLAGE.map((n) => sources.find((s) => s.name === n));
  if (tiles.some((t) => !t)) return null;
  const image = await collage(
    'shared collage 2400×1200',
    (tiles as Source[]).map((source) => ({ source, region: whole(source) })),
    600,
    4,
  );
  return { ...image, transform: 'collage' };
}

/** Images with no face: textures and crops of the samples away from every labelled face. */
export async function noFaceImages(sources: Source[]): Promise<EvalImage[]> {
  const out: EvalImage[] = [];
  const plain = (name: string, img: Sharp, width: number, height: number) =>
    jpeg(img).then((bytes) => ({ name, transform: 'no-face', bytes, width, height, faces: [] }));
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 255;
  const noise = Buffer.from(Array.from({ length: 320 * 240 * 3 }, rand));
  out.push(
    await plain(
      'noise',
      sharp(noise, { raw: { width: 320, height: 240, channels: 3 } }).resize(800, 600),
      800,
      600,
    ),
  );
  out.push(
    await plain(
      'blurred noise',
      sharp(noise, { raw: { width: 320, height: 240, channels: 3 } })
        .resize(800, 600)
        .blur(6),
      800,
      600,
    ),
  );
  const stripes = Buffer.alloc(640 * 480 * 3);
  for (let i = 0; i < 640 * 480; i++) {
    const x = i % 640;
    const y = Math.floor(i / 640);
    const v = (Math.floor(x / 24) + Math.floor(y / 24)) % 2 ? 220 : 40;
    stripes.set([v, (v * 0.8) | 0, (v * 0.6) | 0], i * 3);
  }
  out.push(
    await plain('checkerboard', sharp(stripes, { raw: { width: 640, height: 480, channels: 3 } }), 640, 480),
  );
  out.push(
    await plain(
      'flat',
      sharp({ create: { width: 400, height: 300, channels: 3, background: '#6a8caf' } }),
      400,
      300,
    ),
  );
  // Crops of the photos that stay a face's size away from every labelled face (bodies, clothes, background).
  for (const s of sources.filter((s) => s.name.startsWith('sample'))) {
    const w = Math.round(s.width / 3);
    const h = Math.round(s.height / 3);
    let n = 0;
    for (let top = s.height - h; top >= 0 && n < 2; top -= Math.round(h / 2)) {
      for (let left = 0; left + w <= s.width && n < 2; left += Math.round(w / 2)) {
        const clear = s.faces.every((f) => {
          const m = Math.max(f.width, f.height);
          return (
            left > f.x + f.width + m || left + w < f.x - m || top > f.y + f.height + m || top + h < f.y - m
          );
        });
        if (!clear) continue;
        out.push({
          ...(await cropScaled(s, `${s.name} no-head crop ${n}`, 'no-face', {
            left,
            top,
            width: w,
            height: h,
          })),
          faces: [],
        });
        n++;
      }
    }
  }
  return out;
}

/** The whole set. `sharedDir` adds ../shared's photos when it exists. */
export async function buildEvalSet(label: Labeller, sharedDir?: string): Promise<EvalImage[]> {
  const sources: Source[] = [];
  for (const f of sourceFiles(sharedDir)) sources.push(await loadSource(f.name, f.path, label));
  const out: EvalImage[] = [];
  for (const s of sources) {
    const shared = !s.name.startsWith('sample');
    out.push(...(await wholeImageTransforms(s)));
    out.push(...(await sizeTransforms(s, shared ? 1 : 2)));
    out.push(...(await edgeTransforms(s, shared ? 1 : 3)));
  }
  out.push(...(await collages(sources)));
  const big = await sharedCollage(sources);
  if (big) out.push(big);
  out.push(...(await noFaceImages(sources)));
  return out;
}
