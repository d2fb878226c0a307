import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors/error-catalog.js';

/**
 * Once the whole body has arrived (`complete`: the parser saw its last byte, even when busboy has
 * stopped reading and `end` never fires) busboy has had every byte, so parts still pending a moment
 * later never come: busboy waits forever on a part it skipped (one without Content-Disposition).
 * The grace covers only handing buffered parts to the reader and hashing them, not network time.
 */
const GRACE_MS = 2_000;
const POLL_MS = 250;

/** The client closed its connection before its body had arrived. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  readonly code = 'ECONNRESET';
  constructor() {
    super('aborted');
  }
}

export interface BodyStall {
  /**
   * Rejects with a 400 when the body is complete and its parts are not, or with ClientGoneError when
   * the client hangs up first (else the read would wait for bytes that never come). Never resolves.
   */
  promise: Promise<never>;
  cancel(): void;
}

export function whenBodyStalls(raw: IncomingMessage): BodyStall {
  let completeFor = 0;
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    onClose = () => {
      if (!raw.complete) reject(new ClientGoneError());
    };
    raw.once('close', onClose);
    timer = setInterval(() => {
      completeFor = raw.complete ? completeFor + POLL_MS : 0;
      if (completeFor < GRACE_MS) return;
      clearInterval(timer);
      reject(
        new ApiError(
          'validation_failed',
          'The multipart/form-data body is malformed: it ended without a complete `file` part.',
        ),
      );
    }, POLL_MS);
    timer.unref();
  });
  promise.catch(() => {});
  return {
    promise,
    cancel: () => {
      clearInterval(timer);
      if (onClose) raw.off('close', onClose);
    },
  };
}
