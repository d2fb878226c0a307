// The encoder's tfjs and face-api modules, loaded as a worker thread loads them, for tests of its parts.
import { createRequire } from 'node:module';
import type * as FaceApi from '@vladmandic/face-api';
import { FaceApiEncoder } from '../../src/encoder/faceapi-encoder.js';

const require = createRequire(import.meta.url);

export type Tf = typeof import('@tensorflow/tfjs');

export interface EncoderRuntime {
  tf: Tf;
  faceapi: typeof FaceApi;
}

/**
 * Sets up the WASM backend and loads face-api's weights from its npm package (through the encoder, so
 * the same way and once per thread), then returns the modules it loaded them into.
 */
export async function loadEncoderRuntime(): Promise<EncoderRuntime> {
  await new FaceApiEncoder().init();
  return {
    tf: require('@tensorflow/tfjs') as Tf,
    faceapi: require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi,
  };
}
