import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ requestTimeoutMs: 1_000, headersTimeoutMs: 1_000 });
});
afterAll(() => server.dispose());

/** Writes `head` on a raw loopback socket, then nothing more, and reads until the server closes it. */
function sendAndStall(head: string): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(head));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    // The test's own bound: far above the server's 1 s, so a server without timeouts fails here.
    socket.setTimeout(15_000, () => {
      socket.destroy();
      resolve(answer || 'no answer');
    });
  });
}

describe('request timeouts', () => {
  it('answers 408 to an upload whose body stops arriving', async () => {
    const answer = await sendAndStall(
      'POST /v1/selfie HTTP/1.1\r\nHost: x\r\nuser_id: slow\r\n' +
        'Content-Type: multipart/form-data; boundary=BB\r\nContent-Length: 100000\r\n\r\n--BB\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose headers never finish', async () => {
    const answer = await sendAndStall('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('caps connections and requests per socket', () => {
    expect(server.app.server.maxConnections).toBeGreaterThan(0);
    expect(server.app.server.maxRequestsPerSocket).toBeGreaterThan(0);
  });

  it('still serves a request afterwards', async () => {
    expect((await server.call('/healthz')).status).toBe(200);
  });
});
