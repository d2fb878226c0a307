import { describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../src/cli-errors.js';
import { describeError } from '../src/describe-error.js';

/** An error shaped like the SDK's FaceEncodeError. */
function sdkError(name: string, status: number | undefined, code: string, message = 'boom') {
  return Object.assign(new Error(message), {
    name,
    status,
    code,
    requestId: 'req-1',
    problem: status ? { error: message } : undefined,
  });
}

const ctx = { url: 'http://127.0.0.1:9' };

describe('describeError', () => {
  it.each([
    [sdkError('AuthenticationError', 401, 'unauthorized'), 3],
    [sdkError('NotFoundError', 404, 'session_not_found', 'Session 1234 not found.'), 4],
    [sdkError('SessionExpiredError', 410, 'session_expired'), 4],
    [sdkError('TooManyImagesError', 400, 'too_many_images'), 5],
    [sdkError('ValidationError', 415, 'unsupported_media_type'), 5],
    [sdkError('RateLimitError', 429, 'rate_limited'), 5],
    [sdkError('TimeoutError', undefined, 'timeout'), 6],
    [sdkError('ServerError', 503, 'service_unavailable'), 7],
    [sdkError('ConnectionError', undefined, 'connection_error'), 7],
    [sdkError('AbortError', undefined, 'aborted'), 130],
    [new UsageError('bad'), 2],
    [new InputError('too big'), 5],
    [new Error('anything else'), 1],
  ])('maps %s to exit %i', (err, exitCode) => {
    expect(describeError(err, ctx).exitCode).toBe(exitCode);
  });

  it('gives the server message and a next step for a missing session', () => {
    const report = describeError(
      sdkError('NotFoundError', 404, 'session_not_found', 'Session 1234 not found.'),
      ctx,
    );
    expect(report.message).toBe('Session 1234 not found.');
    expect(report.hint).toBe('Run face-encode session list.');
  });

  it.each([
    ['collection_not_found', 404, 4, 'Run face-encode collection list.'],
    ['collection_face_not_found', 404, 4, 'Run face-encode collection faces <collection-id>.'],
    ['collection_full', 409, 5, 'Delete faces from it, or start another with face-encode collection create.'],
    ['model_mismatch', 409, 5, 'Search with a photo, or with an encoding of the model the collection holds.'],
    ['idempotency_conflict', 409, 1, 'Retry shortly.'],
  ])('gives %s (%i) exit %i and its own next step', (code, status, exitCode, hint) => {
    const report = describeError(sdkError('FaceEncodeError', status, code), ctx);
    expect(report).toMatchObject({ exitCode, hint });
  });

  it('names the URL when the server cannot be reached', () => {
    expect(describeError(sdkError('ConnectionError', undefined, 'connection_error'), ctx).message).toContain(
      'http://127.0.0.1:9',
    );
  });
});
