import type { FaceRecord } from '../storage/records.js';

export type EncodedFace = FaceRecord;

export interface StageTimings {
  decode_ms: number;
  detect_ms: number;
  landmarks_ms: number;
  encode_ms: number;
}

export interface EncodeResult {
  /** Size after EXIF orientation, in source pixels. */
  width: number;
  height: number;
  /** Largest face first. Boxes and landmarks in source pixels. */
  faces: EncodedFace[];
  timings: StageTimings;
}

export interface ModelInfo {
  id: string;
  version: string;
}

/**
 * Finds faces and computes one 128-d encoding per face. Adapters: `faceapi-encoder.ts` (default,
 * in-process WASM) and `remote-encoder.ts` (a service speaking POST /v1/selfie). Throws EncoderError.
 * Does not enforce the 5-face limit: the caller does.
 */
export interface Encoder {
  readonly model: ModelInfo;
  /** Loads weights; idempotent. */
  init(): Promise<void>;
  encode(image: Uint8Array): Promise<EncodeResult>;
  close(): Promise<void>;
}
