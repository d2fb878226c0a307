import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as FaceApi from '@vladmandic/face-api';
import type { FaceBox, Point } from '../storage/records.js';
import { decodeImage } from './decode-image.js';
import type { EncodedFace, EncodeResult, Encoder, ModelInfo } from './encoder.js';
import { EncoderError } from './encoder-error.js';
import { faceQuality } from './face-quality.js';

const require = createRequire(import.meta.url);

export type FaceDetector = 'ssd_mobilenetv1' | 'tiny_face_detector';

export interface FaceApiEncoderOptions {
  /**
   * Face detector. `ssd_mobilenetv1` (default) is the most accurate and sees a fixed 512×512 input;
   * `tiny_face_detector` is several times faster at `detectorInputSize` and misses more small or
   * turned faces. Landmarks and encodings are the same nets either way.
   */
  detector?: FaceDetector;
  /** Input size of the tiny detector (a multiple of 32). Default 416. */
  detectorInputSize?: number;
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

/**
 * The default engine: @vladmandic/face-api's SSD MobileNet v1 detector, 68-point landmark net and
 * ResNet-34 recognition net (dlib's 128-d space), on TensorFlow.js WASM. One instance per thread.
 */
export class FaceApiEncoder implements Encoder {
  readonly model: ModelInfo;
  readonly #options: Required<FaceApiEncoderOptions>;
  #loaded: Promise<Runtime> | undefined;

  constructor(options: FaceApiEncoderOptions = {}) {
    this.#options = {
      detector: options.detector ?? 'ssd_mobilenetv1',
      detectorInputSize: options.detectorInputSize ?? 416,
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
      // Weights are read from disk; face-api's loadFromDisk uses fs, never fetch.
      await Promise.all([
        this.#detectorNet(rt).isLoaded ? undefined : this.#detectorNet(rt).loadFromDisk(dir),
        nets.faceLandmark68Net.isLoaded ? undefined : nets.faceLandmark68Net.loadFromDisk(dir),
        nets.faceRecognitionNet.isLoaded ? undefined : nets.faceRecognitionNet.loadFromDisk(dir),
      ]);
      return rt;
    })();
    return this.#loaded.then(async (rt) => {
      await this.#warmUp(rt);
    });
  }

  #warmedUp = false;

  /** The first inference compiles kernels; do it at start-up instead of on a user's image. */
  async #warmUp(rt: Runtime): Promise<void> {
    if (this.#warmedUp) return;
    this.#warmedUp = true;
    const blank = rt.tf.zeros([64, 64, 3], 'int32') as unknown as NetTensor;
    try {
      await this.#detect(rt, blank);
      const face = rt.tf.zeros([150, 150, 3], 'int32') as unknown as NetTensor;
      await rt.faceapi.nets.faceLandmark68Net.detectLandmarks(face);
      const descriptor = await rt.faceapi.nets.faceRecognitionNet.computeFaceDescriptor(face);
      void descriptor;
      face.dispose();
    } finally {
      blank.dispose();
    }
  }

  async encode(image: Uint8Array): Promise<EncodeResult> {
    await this.init();
    const rt = await (this.#loaded as Promise<Runtime>);
    const { tf, faceapi } = rt;

    const t0 = performance.now();
    const decoded = await decodeImage(image, {
      maxSide: this.#options.maxSide,
      maxPixels: this.#options.maxPixels,
    });
    const input = tf.tensor3d(
      decoded.pixels,
      [decoded.pixelHeight, decoded.pixelWidth, 3],
      'int32',
    ) as unknown as NetTensor;
    const t1 = performance.now();
    try {
      const detections = await this.#detect(rt, input);
      const t2 = performance.now();

      // Landmarks on each detected face, shifted from crop to image coordinates.
      const landmarkCrops = await faceapi.extractFaceTensors(input, detections);
      const landmarks: FaceApi.FaceLandmarks68[] = [];
      for (const [i, crop] of landmarkCrops.entries()) {
        const found = (await faceapi.nets.faceLandmark68Net.detectLandmarks(crop)) as FaceApi.FaceLandmarks68;
        crop.dispose();
        const box = (detections[i] as FaceApi.FaceDetection).box;
        landmarks.push(found.shiftBy<FaceApi.FaceLandmarks68>(box.x, box.y));
      }
      const t3 = performance.now();

      // Descriptors on faces aligned the way dlib aligns them, which the recognition net expects.
      const aligned = landmarks.map((l) => l.align(null, { useDlibAlignment: true }));
      const alignedCrops = await faceapi.extractFaceTensors(input, aligned);
      const encodings: number[][] = [];
      for (const crop of alignedCrops) {
        const descriptor = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(
          crop,
        )) as Float32Array;
        crop.dispose();
        encodings.push(Array.from(descriptor, (v) => Math.round(v * 1e6) / 1e6));
      }
      const t4 = performance.now();

      const inv = 1 / decoded.scale;
      const rgb = { pixels: decoded.pixels, width: decoded.pixelWidth, height: decoded.pixelHeight };
      const faces: EncodedFace[] = detections.map((detection, i) => {
        const b = detection.box;
        const box: FaceBox = { x: b.x, y: b.y, width: b.width, height: b.height };
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
    } finally {
      input.dispose();
    }
  }

  #detectorNet(rt: Runtime) {
    return this.#options.detector === 'tiny_face_detector'
      ? rt.faceapi.nets.tinyFaceDetector
      : rt.faceapi.nets.ssdMobilenetv1;
  }

  async #detect(rt: Runtime, input: NetTensor): Promise<FaceApi.FaceDetection[]> {
    const { faceapi } = rt;
    if (this.#options.detector === 'tiny_face_detector') {
      const found = await faceapi.nets.tinyFaceDetector.locateFaces(
        input,
        new faceapi.TinyFaceDetectorOptions({
          inputSize: this.#options.detectorInputSize,
          scoreThreshold: this.#options.minScore,
        }),
      );
      return found.slice(0, this.#options.maxResults);
    }
    return faceapi.nets.ssdMobilenetv1.locateFaces(
      input,
      new faceapi.SsdMobilenetv1Options({
        minConfidence: this.#options.minScore,
        maxResults: this.#options.maxResults,
      }),
    );
  }

  async close(): Promise<void> {
    // Weights stay loaded for the thread's lifetime: they are shared by every instance in it.
  }
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
