import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as FaceApi from '@vladmandic/face-api';
import type { FaceBox, Point } from '../storage/records.js';
import { cropSquareRgb, decodeImage, resizeRgb } from './decode-image.js';
import { FaceDescriptorNet, type FaceRecognitionParams } from './face-descriptor-net.js';
import { SsdMobilenetDetector, type Detection, type SsdParams } from './ssd-mobilenet-detector.js';
import type { EncodedFace, EncodeResult, Encoder, ModelInfo } from './encoder.js';
import { EncoderError } from './encoder-error.js';
import { faceQuality } from './face-quality.js';
import { faceCrops } from './face-crops.js';

const require = createRequire(import.meta.url);

export type FaceDetector = 'ssd_mobilenetv1' | 'tiny_face_detector';

export interface FaceApiEncoderOptions {
  /**
   * Face detector. `ssd_mobilenetv1` (default) is the most accurate and sees a fixed 512×512 input;
   * `tiny_face_detector` is several times faster at `detectorInputSize` and misses more small or
   * turned faces. Landmarks and encodings are the same nets either way.
   */
  detector?: FaceDetector;
  /**
   * Longest side, in pixels, of the image the detector sees: a face must be roughly 1/15 of it to be
   * found. Default 512 for `ssd_mobilenetv1` (face-api's own input size), 416 for `tiny_face_detector`
   * (a multiple of 32).
   */
  detectorInputSize?: number;
  /**
   * `ssd_mobilenetv1` only: longest side of a quick first detection pass. When it finds a close-up face
   * (see `closeUpMinFace`), as in a selfie, its faces are kept and the full-size pass is skipped; that
   * pass then misses only faces under ~1/8 of the image side. 0 turns the first pass off. Default 320.
   */
  closeUpInputSize?: number;
  /**
   * The first pass is final when it finds exactly one face, scored at least `closeUpMinScore`, and that
   * face is at least this fraction of the image's longest side: a selfie or a head-and-shoulders portrait
   * (a face of 15–25 % of the side). With two faces or more it is a group photo: the full pass runs,
   * because the quick pass misses faces under ~1/10 of the side and loses some that the frame edge cuts.
   * Default 0.12.
   */
  closeUpMinFace?: number;
  /**
   * The quick pass's one face must also score at least this for the pass to be final; an unsure face
   * (turned, cut by the frame, or next to faces the quick pass scores under `minScore`) runs the full pass
   * too. Default 0.9.
   */
  closeUpMinScore?: number;
  /**
   * When the quick pass finds one sure close-up face (as above) and other, unsure candidates, each of
   * those is checked again on a square crop around it (`recheckCrop` × its box, black beyond the frame)
   * at this side instead of running the full pass over the whole image: a head-and-shoulders portrait
   * with a neighbour cut by the frame. 0 runs the full pass instead. Default 128 (with a 2× crop, the
   * face is ~64 px there, as at 160 with 2.5×, for 2/3 of the pixels; recall was the same on the set).
   */
  recheckInputSize?: number;
  /** Side of the recheck crop, as a multiple of the candidate box's longer side. Default 2. */
  recheckCrop?: number;
  /**
   * Lowest quick-pass score of a candidate that is rechecked: under `minScore`, a candidate next to the
   * sure face is otherwise dropped. Default 0.3.
   */
  recheckMinScore?: number;
  /**
   * A candidate must be at least this fraction of the longest side to be rechecked; a smaller face at or
   * over `minScore` runs the full pass (the quick pass misses small faces, so there may be more). Default 0.12.
   */
  recheckMinFace?: number;
  /**
   * Most candidates rechecked; with more, the full pass runs (with two, as in sample2, it finds a third,
   * smaller face the quick pass does not see). Default 1.
   */
  recheckMax?: number;
  /**
   * `ssd_mobilenetv1` only: black border added on every side of the full (and large) pass's input, as a
   * fraction of that input's longest side, so faces cut by the frame edge sit next to black padding as in
   * face-api's own square input. Default 0.
   */
  edgeBorder?: number;
  /**
   * `ssd_mobilenetv1` only: longest side of an extra pass for photos larger than the full pass whose quick
   * pass is not final, decoded from the source at up to this size: faces ~40 px wide in a 2400-px group
   * photo are ~9 px at 512 and ~27 px here. 0 turns it off. Default 0.
   */
  largeInputSize?: number;
  /** Longest side, in pixels, of the image the nets see; larger images are downscaled first. Default 1024. */
  maxSide?: number;
  /** Minimum detector confidence for a face. Default 0.5. */
  minScore?: number;
  /** Most faces the detector returns; the pipeline enforces the API's own limit. Default 20. */
  maxResults?: number;
  /** Decoded pixel limit; larger images are invalid_image. Default 40 000 000. */
  maxPixels?: number;
  /** Folder holding the weights. Default: the `model/` folder of the installed @vladmandic/face-api. */
  modelDir?: string;
}

type Tf = typeof import('@tensorflow/tfjs');
type FaceApiModule = typeof FaceApi;

/** face-api's types bundle their own copy of tfjs's; the runtime objects are the same. */
type NetTensor = Extract<Parameters<FaceApiModule['extractFaceTensors']>[0], { rank: unknown }> &
  FaceApi.tf.Tensor3D;

interface Runtime {
  tf: Tf;
  faceapi: FaceApiModule;
}

let runtime: Promise<Runtime> | undefined;

/**
 * Loads TensorFlow.js on its WASM backend, once per thread. The WASM binaries come from the installed
 * @tensorflow/tfjs-backend-wasm package (never the network): platform fetch is off and the path is
 * the package's own dist/.
 */
function loadRuntime(): Promise<Runtime> {
  runtime ??= (async () => {
    const tf = require('@tensorflow/tfjs') as Tf;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
    const wasmDir =
      join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
    wasm.setWasmPaths(wasmDir, false);
    await tf.setBackend('wasm');
    await tf.ready();
    tf.enableProdMode();
    return { tf, faceapi };
  })();
  return runtime;
}

const FACE_API_VERSION = (require('@vladmandic/face-api/package.json') as { version: string }).version;

/** The model a FaceApiEncoder with this detector reports, known without loading it. */
export function faceApiModelInfo(detector: FaceDetector): ModelInfo {
  return { id: `face-api/${detector}+landmark68+resnet34`, version: FACE_API_VERSION };
}

/** Nets rebuilt from face-api's loaded weights, once per thread (the SSD one only when used). */
interface FusedNets {
  ssd: SsdMobilenetDetector | null;
  descriptor: FaceDescriptorNet;
}
let fusedSsd: SsdMobilenetDetector | undefined;
let fusedDescriptor: FaceDescriptorNet | undefined;

/**
 * The default engine: @vladmandic/face-api's SSD MobileNet v1 detector, 68-point landmark net and
 * ResNet-34 recognition net (dlib's 128-d space), on TensorFlow.js WASM. One instance per thread.
 * Weights are face-api's own; the detector and the recognition net run as fused re-implementations
 * of face-api's graphs (same outputs, fewer operations, any detector input size).
 */
export class FaceApiEncoder implements Encoder {
  readonly model: ModelInfo;
  readonly #options: Required<FaceApiEncoderOptions>;
  #loaded: Promise<Runtime & FusedNets> | undefined;

  constructor(options: FaceApiEncoderOptions = {}) {
    this.#options = {
      detector: options.detector ?? 'ssd_mobilenetv1',
      detectorInputSize: options.detectorInputSize ?? (options.detector === 'tiny_face_detector' ? 416 : 512),
      closeUpInputSize: options.closeUpInputSize ?? 320,
      closeUpMinFace: options.closeUpMinFace ?? 0.12,
      closeUpMinScore: options.closeUpMinScore ?? 0.9,
      edgeBorder: options.edgeBorder ?? 0,
      recheckInputSize: options.recheckInputSize ?? 128,
      recheckCrop: options.recheckCrop ?? 2,
      recheckMinScore: options.recheckMinScore ?? 0.3,
      recheckMinFace: options.recheckMinFace ?? 0.12,
      recheckMax: options.recheckMax ?? 1,
      largeInputSize: options.largeInputSize ?? 0,
      maxSide: options.maxSide ?? 1024,
      minScore: options.minScore ?? 0.5,
      maxResults: options.maxResults ?? 20,
      maxPixels: options.maxPixels ?? 40_000_000,
      modelDir:
        options.modelDir ?? join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model'),
    };
    this.model = faceApiModelInfo(this.#options.detector);
  }

  init(): Promise<void> {
    this.#loaded ??= (async () => {
      const rt = await loadRuntime();
      const { nets } = rt.faceapi;
      const dir = this.#options.modelDir;
      const tiny = this.#options.detector === 'tiny_face_detector';
      // Weights are read from disk; face-api's loadFromDisk uses fs, never fetch.
      const detectorNet = tiny ? nets.tinyFaceDetector : nets.ssdMobilenetv1;
      await Promise.all([
        detectorNet.isLoaded ? undefined : detectorNet.loadFromDisk(dir),
        nets.faceLandmark68Net.isLoaded ? undefined : nets.faceLandmark68Net.loadFromDisk(dir),
        nets.faceRecognitionNet.isLoaded ? undefined : nets.faceRecognitionNet.loadFromDisk(dir),
      ]);
      if (!tiny) {
        fusedSsd ??= new SsdMobilenetDetector(rt.tf, nets.ssdMobilenetv1.params as unknown as SsdParams);
      }
      fusedDescriptor ??= new FaceDescriptorNet(
        rt.tf,
        nets.faceRecognitionNet.params as unknown as FaceRecognitionParams,
      );
      return { ...rt, ssd: tiny ? null : (fusedSsd ?? null), descriptor: fusedDescriptor };
    })();
    return this.#loaded.then(async (rt) => {
      await this.#warmUp(rt);
    });
  }

  #warmedUp = false;

  /** The first inference compiles kernels; do it at start-up instead of on a user's image. */
  async #warmUp(rt: Runtime & FusedNets): Promise<void> {
    if (this.#warmedUp) return;
    this.#warmedUp = true;
    // A selfie-sized blank: no face, so both detection passes run and set up their shapes.
    await this.#detect(rt, new Uint8Array(640 * 480 * 3).fill(128), 640, 480, null);
    const side = this.#options.recheckInputSize;
    if (rt.ssd && side > 0) {
      await rt.ssd.detect(new Uint8Array(side * side * 3).fill(128), side, side, this.#options);
    }
    const face = rt.tf.zeros([150, 150, 3], 'int32') as unknown as NetTensor;
    try {
      await rt.faceapi.nets.faceLandmark68Net.detectLandmarks([face]);
      await rt.descriptor.compute([face as unknown as import('@tensorflow/tfjs').Tensor3D]);
    } finally {
      face.dispose();
    }
  }

  /**
   * Face boxes only (decode + detection, no landmarks or encodings), in source pixels: what the
   * detection evaluation (`pnpm bench:detect`) measures.
   */
  async detectFaces(image: Uint8Array): Promise<Array<{ box: FaceBox; score: number }>> {
    await this.init();
    const rt = await (this.#loaded as Promise<Runtime & FusedNets>);
    const decoded = await decodeImage(image, {
      maxSide: this.#options.maxSide,
      maxPixels: this.#options.maxPixels,
    });
    const inv = 1 / decoded.scale;
    return (
      await this.#detect(rt, decoded.pixels, decoded.pixelWidth, decoded.pixelHeight, image, decoded.width)
    )
      .filter((d) => d.width >= 1 && d.height >= 1)
      .map((d) => ({
        box: scaleBox(
          { x: d.x, y: d.y, width: d.width, height: d.height },
          inv,
          decoded.width,
          decoded.height,
        ),
        score: d.score,
      }));
  }

  async encode(image: Uint8Array): Promise<EncodeResult> {
    await this.init();
    const rt = await (this.#loaded as Promise<Runtime & FusedNets>);
    const { tf, faceapi } = rt;

    const t0 = performance.now();
    const decoded = await decodeImage(image, {
      maxSide: this.#options.maxSide,
      maxPixels: this.#options.maxPixels,
    });
    const t1 = performance.now();
    const bytes = image;
    try {
      // A box clipped to nothing has no crop: dropping it keeps crops, landmarks and faces aligned.
      const detections = (
        await this.#detect(rt, decoded.pixels, decoded.pixelWidth, decoded.pixelHeight, bytes, decoded.width)
      ).filter((d) => d.width >= 1 && d.height >= 1);
      const t2 = performance.now();
      const rgb = { pixels: decoded.pixels, width: decoded.pixelWidth, height: decoded.pixelHeight };

      // Landmarks on each detected face (one batch), shifted from crop to image coordinates.
      const boxes = detections.map((d) => new faceapi.Rect(d.x, d.y, d.width, d.height));
      const found = await withCrops(tf, rgb, boxes, async (crops) =>
        crops.length
          ? ((await faceapi.nets.faceLandmark68Net.detectLandmarks(crops)) as FaceApi.FaceLandmarks68[])
          : [],
      );
      const landmarks = found.map((l, i) => {
        const box = boxes[i] as FaceApi.Rect;
        return l.shiftBy<FaceApi.FaceLandmarks68>(box.x, box.y);
      });
      const t3 = performance.now();

      // Descriptors on faces aligned the way dlib aligns them, which the recognition net expects.
      const aligned = landmarks.map((l) => l.align(null, { useDlibAlignment: true }));
      const descriptors = await withCrops(tf, rgb, aligned, (crops) =>
        rt.descriptor.compute(crops as unknown as import('@tensorflow/tfjs').Tensor3D[]),
      );
      const encodings = descriptors.map((d) => Array.from(d, (v) => Math.round(v * 1e6) / 1e6));
      const t4 = performance.now();

      const inv = 1 / decoded.scale;
      const faces: EncodedFace[] = detections.map((detection, i) => {
        const box: FaceBox = {
          x: detection.x,
          y: detection.y,
          width: detection.width,
          height: detection.height,
        };
        const points: Point[] = (landmarks[i] as FaceApi.FaceLandmarks68).positions.map((p) => ({
          x: p.x,
          y: p.y,
        }));
        return {
          box: scaleBox(box, inv, decoded.width, decoded.height),
          score: Math.round(detection.score * 1e4) / 1e4,
          landmarks: points.map((p) => ({ x: round1(p.x * inv), y: round1(p.y * inv) })),
          encoding: encodings[i] as number[],
          quality: faceQuality(rgb, box, points, decoded.scale),
        };
      });
      faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
      return {
        width: decoded.width,
        height: decoded.height,
        faces,
        timings: {
          decode_ms: t1 - t0,
          detect_ms: t2 - t1,
          landmarks_ms: t3 - t2,
          encode_ms: t4 - t3,
        },
      };
    } catch (error) {
      if (error instanceof EncoderError) throw error;
      throw new EncoderError('encoding_failed', `Inference failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * Faces in RGB pixels, boxes in those pixels. `source` (the encoded image, `sourceWidth` its upright
   * width) lets the large pass decode more detail than `pixels` hold; null skips that pass.
   */
  async #detect(
    rt: Runtime & FusedNets,
    pixels: Uint8Array,
    width: number,
    height: number,
    source: Uint8Array | null,
    sourceWidth = width,
  ): Promise<Detection[]> {
    const o = this.#options;
    if (o.detector === 'tiny_face_detector') {
      const input = rt.tf.tensor3d(pixels, [height, width, 3], 'int32') as unknown as NetTensor;
      try {
        const found = await rt.faceapi.nets.tinyFaceDetector.locateFaces(
          input,
          new rt.faceapi.TinyFaceDetectorOptions({
            inputSize: o.detectorInputSize,
            scoreThreshold: o.minScore,
          }),
        );
        return found
          .slice(0, o.maxResults)
          .map(({ score, box }) => ({ score, x: box.x, y: box.y, width: box.width, height: box.height }));
      } finally {
        input.dispose();
      }
    }
    const { ssd } = rt;
    if (!ssd) throw new Error('The SSD detector was not loaded.');
    const long = Math.max(width, height);
    const image = { pixels, width, height };
    const run = async (
      img: { pixels: Uint8Array; width: number; height: number },
      side: number,
      border: number,
      minScore = o.minScore,
    ): Promise<Detection[]> => {
      const imgLong = Math.max(img.width, img.height);
      // The detector sees the image at `side` (up- or downscaled, as face-api does at 512).
      const k = side / imgLong;
      const scaled =
        k === 1
          ? img
          : await resizeRgb(
              img.pixels,
              img.width,
              img.height,
              Math.max(1, Math.round(img.width * k)),
              Math.max(1, Math.round(img.height * k)),
            );
      const found = await ssd.detect(scaled.pixels, scaled.width, scaled.height, {
        ...o,
        minScore,
        border: Math.round(border * side),
      });
      // Back to the pixels this method was given.
      const fx = width / scaled.width;
      const fy = height / scaled.height;
      return found.map((d) => ({
        score: d.score,
        x: d.x * fx,
        y: d.y * fy,
        width: d.width * fx,
        height: d.height * fy,
      }));
    };

    let detections: Detection[] = [];
    if (o.closeUpInputSize > 0 && o.closeUpInputSize < o.detectorInputSize) {
      const recheck = o.recheckInputSize > 0;
      const quick = await run(
        image,
        o.closeUpInputSize,
        0,
        recheck ? Math.min(o.minScore, o.recheckMinScore) : o.minScore,
      );
      detections = quick.filter((d) => d.score >= o.minScore);
      // One close-up face (a selfie) is found reliably at low resolution: the first pass is final.
      const sure = quick.filter(
        (d) => d.score >= o.closeUpMinScore && Math.max(d.width, d.height) >= o.closeUpMinFace * long,
      );
      const first = sure.length === 1 ? sure[0] : undefined;
      if (first) {
        const large = (d: Detection) => Math.max(d.width, d.height) >= o.recheckMinFace * long;
        const rest = quick.filter((d) => d !== first);
        if (!recheck && rest.every((d) => d.score < o.minScore)) return [first];
        const candidates = recheck ? rest.filter((d) => d.score >= o.minScore || large(d)) : [];
        if (
          recheck &&
          candidates.length <= o.recheckMax &&
          candidates.every((d) => d.score < o.closeUpMinScore && large(d))
        ) {
          const kept: Detection[] = [first];
          for (const c of candidates) {
            // A confirmed candidate gets the crop's sharper box; an unconfirmed one is kept at or over
            // minScore (the recheck's own score is noisy: rejecting on it loses real, edge-cut faces).
            const confirmed = await this.#recheck(ssd, image, c);
            if (confirmed) kept.push(confirmed);
            else if (c.score >= o.minScore) kept.push(c);
          }
          return mergeDetections(kept, [], o.maxResults);
        }
      }
    }
    detections = mergeDetections(
      detections,
      await run(image, o.detectorInputSize, o.edgeBorder),
      o.maxResults,
    );

    const sourceLong = (sourceWidth / width) * long;
    const largeSide = Math.min(o.largeInputSize, Math.round(sourceLong));
    if (source && largeSide > o.detectorInputSize * 1.5) {
      // More pixels than `pixels` hold only when the source has them: decode it again at that size.
      const detail =
        largeSide > long
          ? await decodeImage(source, { maxSide: largeSide, maxPixels: o.maxPixels }).then((d) => ({
              pixels: d.pixels,
              width: d.pixelWidth,
              height: d.pixelHeight,
            }))
          : image;
      detections = mergeDetections(detections, await run(detail, largeSide, o.edgeBorder), o.maxResults);
    }
    return detections;
  }

  /**
   * The quick pass's candidate `c` detected again on a square crop around it at `recheckInputSize`: the
   * crop's best-scored detection overlapping it (IoU ≥ 0.4), in `image` pixels, or null.
   */
  async #recheck(
    ssd: SsdMobilenetDetector,
    image: { pixels: Uint8Array; width: number; height: number },
    c: Detection,
  ): Promise<Detection | null> {
    const o = this.#options;
    const side = Math.max(c.width, c.height) * o.recheckCrop;
    const crop = await cropSquareRgb(
      image.pixels,
      image.width,
      image.height,
      { left: c.x + c.width / 2 - side / 2, top: c.y + c.height / 2 - side / 2, side },
      o.recheckInputSize,
    );
    const found = await ssd.detect(crop.pixels, crop.width, crop.height, { ...o, border: 0 });
    let best: Detection | null = null;
    for (const d of found) {
      const x = Math.max(0, crop.x0 + d.x / crop.scale);
      const y = Math.max(0, crop.y0 + d.y / crop.scale);
      const mapped = {
        score: d.score,
        x,
        y,
        width: Math.min(image.width, crop.x0 + (d.x + d.width) / crop.scale) - x,
        height: Math.min(image.height, crop.y0 + (d.y + d.height) / crop.scale) - y,
      };
      if (boxIou(mapped, c) >= 0.4 && (!best || mapped.score > best.score)) best = mapped;
    }
    return best;
  }

  async close(): Promise<void> {
    // Weights stay loaded for the thread's lifetime: they are shared by every instance in it.
  }
}

/** `use` on the boxes' face crops, which are freed afterwards even when a net throws. */
async function withCrops<T>(
  tf: Tf,
  rgb: { pixels: Uint8Array; width: number; height: number },
  boxes: FaceApi.Box[],
  use: (crops: FaceApi.tf.Tensor3D[]) => Promise<T>,
): Promise<T> {
  const crops = faceCrops(tf, rgb, boxes);
  try {
    return await use(crops);
  } finally {
    for (const crop of crops) crop.dispose();
  }
}

/**
 * A box this much inside a better-scored one (intersection over the smaller box's area) is the same face
 * again, offset: the SSD sometimes scores a second, larger or shifted box on one face, with an IoU (0.28–0.30
 * in the evaluation set) under NMS's threshold. Two real faces overlap far less (see BENCHMARKS.md).
 */
const CONTAINED = 0.5;

/**
 * Detections of two passes as one list: greedy NMS over both (IoU > 0.4, or a box mostly inside a kept
 * one, is the same face), best score first, so a face either pass finds is kept once, with its
 * better-scored box.
 */
function mergeDetections(a: Detection[], b: Detection[], maxResults: number): Detection[] {
  const all = [...a, ...b].sort((p, q) => q.score - p.score);
  const kept: Detection[] = [];
  for (const d of all) {
    if (kept.length >= maxResults) break;
    if (kept.every((k) => boxIou(k, d) <= 0.4 && overSmaller(k, d) < CONTAINED)) kept.push(d);
  }
  return kept;
}

function intersection(a: Detection, b: Detection): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return w * h;
}

function boxIou(a: Detection, b: Detection): number {
  const inter = intersection(a, b);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** The intersection over the smaller box's area. */
function overSmaller(a: Detection, b: Detection): number {
  const smaller = Math.min(a.width * a.height, b.width * b.height);
  return smaller > 0 ? intersection(a, b) / smaller : 0;
}

function scaleBox(box: FaceBox, inv: number, width: number, height: number): FaceBox {
  const x = Math.max(0, box.x * inv);
  const y = Math.max(0, box.y * inv);
  return {
    x: round1(x),
    y: round1(y),
    width: round1(Math.min(width - x, box.width * inv)),
    height: round1(Math.min(height - y, box.height * inv)),
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
