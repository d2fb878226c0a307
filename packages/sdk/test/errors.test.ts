import { describe, expect, it } from 'vitest';
import * as sdk from '../src/index.js';

describe('error classes', () => {
  it('carry their own name (minifier-proof) and extend FaceEncodeError', () => {
    const classes = Object.entries(sdk).filter(
      ([key, value]) =>
        typeof value === 'function' &&
        // Webhook verification is local, not an API call: its error is no FaceEncodeError (verify-webhook.test.ts).
        key !== 'WebhookVerificationError' &&
        (key === 'FaceEncodeError' || key.endsWith('Error')),
    ) as [string, typeof sdk.FaceEncodeError][];
    expect(classes.length).toBe(12);
    for (const [key, ErrorClass] of classes) {
      const error = new ErrorClass('m', { status: 400, code: 'validation_failed', requestId: 'r' });
      expect(error.name).toBe(key);
      expect(error).toBeInstanceOf(sdk.FaceEncodeError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ message: 'm', status: 400, code: 'validation_failed', requestId: 'r' });
    }
  });

  it('defaults code to unknown', () => {
    expect(new sdk.FaceEncodeError('x').code).toBe('unknown');
    expect(new sdk.RateLimitError('x', { retryAfter: 3 }).retryAfter).toBe(3);
  });
});
