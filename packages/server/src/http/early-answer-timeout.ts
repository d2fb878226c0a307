import type { IncomingMessage } from 'node:http';

export interface EarlyAnswerTimeouts {
  /** How long the rest of the body may pause once the answer is sent: the idle timeout of any upload. */
  idleTimeoutMs: number;
  /** The keep-alive timeout, restored once the body has all arrived. */
  keepAliveTimeoutMs: number;
}

/**
 * An answer sent before the request body was read (an upload shed with 503, a 401, a full session, a
 * 404): Node reads and discards the rest of the body, but it arms the keep-alive timeout (5 s) when the
 * answer is done, as though the socket were idle between requests. A client still writing its body
 * that pauses longer (150 uploads sharing one link; undici's fetch surfaces the answer only once
 * its body is written) had the socket closed under it: EPIPE / ECONNRESET and no answer at all.
 * Until the body has arrived, the socket keeps the idle timeout every upload has.
 *
 * Call it once the answer is finished (an onResponse hook runs after Node's own 'finish' listener,
 * which arms the keep-alive timeout), so every answer is covered, not only errors.
 */
export function keepIdleTimeoutUntilBodyEnds(req: IncomingMessage, o: EarlyAnswerTimeouts): void {
  const socket = req.socket;
  if (req.complete || socket.destroyed) return;
  socket.setTimeout(o.idleTimeoutMs);
  req.once('end', () => {
    if (!socket.destroyed) socket.setTimeout(o.keepAliveTimeoutMs);
  });
}
