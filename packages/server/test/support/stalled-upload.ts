import { request as httpRequest, type ClientRequest } from 'node:http';

/**
 * An upload declaring `contentLength` bytes that sends its first bytes and then holds the connection
 * open: it keeps that much of the server's upload budget until it is destroyed.
 */
export function stalledUpload(
  serverUrl: string,
  sessionId: string,
  user: string,
  contentLength = 2 ** 20,
): ClientRequest {
  const { port } = new URL(serverUrl);
  const req = httpRequest({
    host: '127.0.0.1',
    port: Number(port),
    method: 'POST',
    path: `/v1/image/${sessionId}`,
    headers: {
      user_id: user,
      'content-type': 'multipart/form-data; boundary=BB',
      'content-length': String(contentLength),
    },
  });
  req.on('error', () => {});
  req.write('--BB\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n');
  return req;
}
