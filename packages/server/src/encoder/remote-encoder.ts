import type { EncodeResult, Encoder, ModelInfo } from './encoder.js';
import { EncoderError } from './encoder-error.js';

export interface RemoteEncoderOptions {
  /** Base URL of a service speaking `POST /v1/selfie` (e.g. another face-encode server). */
  url: string;
  /** Bearer token for that service. Default none. */
  token?: string | null;
  /** Per-request timeout in ms. Default 30 000. */
  timeoutMs?: number;
  /** Extra headers, e.g. `user_id` for a demo-mode peer. Default {}. */
  headers?: Record<string, string>;
}

/**
 * Delegates encoding to a separate service over the `/v1/selfie` contract, as the original design's
 * workers do. That contract returns encodings only, so boxes, landmarks and quality are unknown:
 * boxes and quality are zeros and landmarks empty. Faces keep the service's order.
 */
export class RemoteEncoder implements Encoder {
  readonly model: ModelInfo;
  readonly #o: Required<Omit<RemoteEncoderOptions, 'token'>> & { token: string | null };

  constructor(options: RemoteEncoderOptions) {
    this.#o = {
      url: options.url.replace(/\/+$/, ''),
      token: options.token ?? null,
      timeoutMs: options.timeoutMs ?? 30_000,
      headers: options.headers ?? {},
    };
    this.model = { id: `remote:${new URL(this.#o.url).host}/v1/selfie`, version: '1' };
  }

  async init(): Promise<void> {}

  async encode(image: Uint8Array): Promise<EncodeResult> {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(image)]), 'image');
    const headers: Record<string, string> = { ...this.#o.headers };
    if (this.#o.token) headers.authorization = `Bearer ${this.#o.token}`;
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(`${this.#o.url}/v1/selfie`, {
        method: 'POST',
        body: form,
        headers,
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
    } catch (error) {
      throw new EncoderError(
        'encoding_failed',
        `The remote encoder did not answer: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const body = (await response.json().catch(() => null)) as unknown;
    if (!response.ok) {
      const code = (body as { code?: string } | null)?.code;
      const detail = (body as { detail?: string } | null)?.detail ?? `HTTP ${response.status}`;
      // The peer's verdicts on the image are final; anything else may succeed on a retry.
      if (code === 'invalid_image' || code === 'unsupported_media_type')
        throw new EncoderError('invalid_image', detail);
      if (code === 'too_many_faces') throw new EncoderError('too_many_faces', detail);
      throw new EncoderError('encoding_failed', `The remote encoder failed: ${detail}`);
    }
    if (
      !Array.isArray(body) ||
      !body.every((e) => Array.isArray(e) && e.length === 128 && e.every((v) => typeof v === 'number'))
    ) {
      throw new EncoderError(
        'encoding_failed',
        'The remote encoder answered something other than 128-number encodings.',
      );
    }
    const encodings = body as number[][];
    return {
      width: 0,
      height: 0,
      faces: encodings.map((encoding) => ({
        box: { x: 0, y: 0, width: 0, height: 0 },
        score: 1,
        landmarks: [],
        encoding,
        quality: { face_px: 0, brightness: 0, sharpness: 0, yaw: 0, roll: 0 },
      })),
      timings: { decode_ms: 0, detect_ms: 0, landmarks_ms: 0, encode_ms: performance.now() - started },
    };
  }

  async close(): Promise<void> {}
}
