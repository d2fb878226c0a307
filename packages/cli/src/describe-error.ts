import { CliError } from './cli-errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** How the CLI reports one error. */
export interface ErrorReport {
  exitCode: ExitCodeValue;
  message: string;
  hint: string | undefined;
  /** The API's error code, or `connection_error`/`timeout`/`aborted`, when the SDK raised it. */
  code: string | undefined;
  status: number | undefined;
  requestId: string | undefined;
}

/** The fields of the SDK's FaceEncodeError that the CLI reads (matched by shape, so no SDK import is needed here). */
interface SdkErrorShape {
  name: string;
  message: string;
  status?: number | undefined;
  code?: string | undefined;
  requestId?: string | undefined;
  problem?: { error?: string; detail?: string } | undefined;
  retryAfter?: number | undefined;
}

function isSdkError(err: unknown): err is SdkErrorShape & Error {
  return err instanceof Error && 'code' in err && 'status' in err && 'requestId' in err;
}

/** The exit code and next step for an API error code, whatever its status. */
const CODE_HINTS: Record<string, { exitCode: ExitCodeValue; hint: string }> = {
  image_not_found: { exitCode: ExitCode.notFound, hint: 'Run face-encode session show <session-id>.' },
  collection_not_found: { exitCode: ExitCode.notFound, hint: 'Run face-encode collection list.' },
  collection_face_not_found: {
    exitCode: ExitCode.notFound,
    hint: 'Run face-encode collection faces <collection-id>.',
  },
  // These conflicts stay until the caller changes something: retrying cannot help.
  collection_full: {
    exitCode: ExitCode.invalidInput,
    hint: 'Delete faces from it, or start another with face-encode collection create.',
  },
  model_mismatch: {
    exitCode: ExitCode.invalidInput,
    hint: 'Search with a photo, or with an encoding of the model the collection holds.',
  },
  session_not_completed: {
    exitCode: ExitCode.invalidInput,
    hint: 'Wait until every image is encoded: face-encode session show <session-id>.',
  },
  too_many_images: {
    exitCode: ExitCode.invalidInput,
    hint: 'A session holds at most 5 images; open another with face-encode session create.',
  },
  file_too_large: { exitCode: ExitCode.invalidInput, hint: 'Shrink the image.' },
  unsupported_media_type: {
    exitCode: ExitCode.invalidInput,
    hint: 'face-encode accepts JPEG, PNG, WebP and GIF selfies.',
  },
  invalid_image: { exitCode: ExitCode.invalidInput, hint: 'Check that the file opens as an image.' },
  too_many_faces: { exitCode: ExitCode.invalidInput, hint: 'Crop the image to at most 5 faces.' },
};

/** Maps any thrown value to an exit code, one message line and a hint. */
export function describeError(err: unknown, context: { url: string }): ErrorReport {
  const base = { code: undefined, status: undefined, requestId: undefined };
  if (err instanceof CliError)
    return { ...base, exitCode: err.exitCode, message: err.message, hint: err.hint };
  if (!isSdkError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return { ...base, exitCode: ExitCode.failure, message, hint: 'Run again with --debug for details.' };
  }
  const status = err.status;
  const code = err.code;
  const serverMessage = err.problem?.error ?? err.problem?.detail ?? err.message;
  const withRequest = (hint: string) => (err.requestId ? `${hint} (request id ${err.requestId})` : hint);
  const report = (exitCode: ExitCodeValue, message: string, hint: string | undefined): ErrorReport => ({
    exitCode,
    message,
    hint,
    code,
    status,
    requestId: err.requestId,
  });

  if (code === 'aborted' || err.name === 'AbortError')
    return report(ExitCode.interrupted, 'Cancelled.', undefined);
  if (code === 'timeout' || err.name === 'TimeoutError') {
    return report(ExitCode.timeout, 'The request timed out.', 'Raise the limit with --timeout <seconds>.');
  }
  if (code === 'connection_error' || err.name === 'ConnectionError' || status === undefined) {
    return report(
      ExitCode.serverOrNetwork,
      `Cannot reach the server at ${context.url}.`,
      'Is it running? Start one with face-encode-server start, or point --url (or FACE_ENCODE_URL) at it.',
    );
  }
  if (status === 401 || status === 403) {
    return report(
      ExitCode.auth,
      serverMessage || 'Not authorized.',
      'Run face-encode login --url <url> --api-key <key>, pass --api-key, or --user-id for a demo server.',
    );
  }
  const known = CODE_HINTS[code ?? ''];
  if (known) return report(known.exitCode, serverMessage, known.hint);
  if (status === 404) return report(ExitCode.notFound, serverMessage, 'Run face-encode session list.');
  if (status === 410)
    return report(ExitCode.notFound, serverMessage, 'Open a new one with face-encode session create.');
  if (status === 429) {
    const wait = err.retryAfter !== undefined ? `Retry in ${err.retryAfter} seconds.` : 'Retry shortly.';
    return report(ExitCode.invalidInput, serverMessage, wait);
  }
  if (status === 409) return report(ExitCode.failure, serverMessage, 'Retry shortly.');
  if (status >= 500) {
    return report(
      ExitCode.serverOrNetwork,
      `The server failed: ${serverMessage}`,
      withRequest('Retry later, or check the server logs'),
    );
  }
  return report(ExitCode.invalidInput, serverMessage, 'Check the arguments; see --help.');
}
