// Stock @vladmandic/face-api detection, the reference the evaluation labels with and compares against:
// `detectAllFaces(img, new SsdMobilenetv1Options())`, i.e. the image padded to a square and resized to
// its fixed 512×512 input, minConfidence 0.5.
import { createRequire } from 'node:module';
import type * as FaceApi from '@vladmandic/face-api';
import { decodeImage } from '../encoder/decode-image.js';
import { FaceApiEncoder } from '../encoder/faceapi-encoder.js';
import type { FaceBox } from '../storage/records.js';

const require = createRequire(import.meta.url);
type Tf = typeof import('@tensorflow/tfjs');

export interface FoundFace {
  box: FaceBox;
  score: number;
}

let ready: Promise<{ tf: Tf; faceapi: typeof FaceApi }> | undefined;

/** The encoder sets up tfjs-wasm and loads face-api's weights; stock face-api reuses them. */
function load(): Promise<{ tf: Tf; faceapi: typeof FaceApi }> {
  ready ??= (async () => {
    await new FaceApiEncoder().init();
    return {
      tf: require('@tensorflow/tfjs') as Tf,
      faceapi: require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi,
    };
  })();
  return ready;
}

/** Stock face-api's faces in an encoded image, boxes in its pixels (the whole image is decoded). */
export async function stockDetect(image: Uint8Array): Promise<FoundFace[]> {
  const { tf, faceapi } = await load();
  const decoded = await decodeImage(image, { maxSide: 1e6, maxPixels: 40_000_000 });
  const input = tf.tensor3d(decoded.pixels, [decoded.pixelHeight, decoded.pixelWidth, 3], 'int32');
  try {
    const found = await faceapi.detectAllFaces(
      input as unknown as FaceApi.tf.Tensor3D,
      new faceapi.SsdMobilenetv1Options(),
    );
    return found.map((d) => ({
      box: { x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height },
      score: d.score,
    }));
  } finally {
    input.dispose();
  }
}
