import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Uploads whose client waits for 100 Continue until the upload budget admits them. */
const waiting = new WeakMap<IncomingMessage, ServerResponse>();

/**
 * Expect: 100-continue (curl sends it for bodies over 1 MiB). Node answers 100 at once unless told
 * otherwise, so a shed upload was sent in full before its 503. Now a multipart upload is asked for its
 * body only once the upload budget admits it (`continueBody`); answered first (503, 401, 404), its
 * client sends nothing and the connection closes (`Connection: close`, RFC 9110 §10.1.1). Any other
 * request is asked for its body at once, as before.
 */
export function deferContinueForUploads(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      res.setHeader('connection', 'close');
      waiting.set(req, res);
    } else res.writeContinue();
    server.emit('request', req, res);
  });
}

/** Asks a client waiting on Expect: 100-continue for its body: its upload was admitted. */
export function continueBody(req: IncomingMessage): void {
  const res = waiting.get(req);
  if (!res) return;
  waiting.delete(req);
  res.removeHeader('connection');
  res.writeContinue();
}
