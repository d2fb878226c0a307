export type EncoderErrorCode = 'invalid_image' | 'encoding_failed' | 'too_many_faces' | 'digest_mismatch';

/** A failure of an encoder, coded with the API's error catalog so the pipeline can report it as is. */
export class EncoderError extends Error {
  readonly code: EncoderErrorCode;

  constructor(code: EncoderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EncoderError';
    this.code = code;
  }
}
