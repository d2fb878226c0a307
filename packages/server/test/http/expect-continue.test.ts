import { connect, type Socket } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sample } from '../encoder/sample-images.js';
import { stalledUpload } from '../support/stalled-upload.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Expect: 100-continue (curl sends it for bodies over 1 MiB): an upload the server would shed is
// refused before the client sends a byte of its body; an admitted one is asked for its body.
let server: TestServer;
const MiB = 2 ** 20;

beforeAll(async () => {
  server = await startTestServer({ uploadBufferMb: 1, uploadDecodes: 1 });
});
afterAll(() => server.dispose());

async function newSession(): Promise<string> {
  const created = await server.call('/v1/session', {
    method: 'POST',
    user: 'u',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await created.json()) as { session_id: string }).session_id;
}

/** A raw connection that records everything the server sends and when it closes. */
function open(): { socket: Socket; received: () => string; closed: Promise<void> } {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => text, closed };
}

async function multipartJpeg(): Promise<Buffer> {
  const jpeg = await sharp(sample(2)).resize(320).jpeg().toBuffer();
  return Buffer.concat([
    Buffer.from('--BB\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'),
    jpeg,
    Buffer.from('\r\n--BB--\r\n'),
  ]);
}

const uploadHead = (sessionId: string, length: number) =>
  `POST /v1/image/${sessionId} HTTP/1.1\r\nhost: 127.0.0.1\r\nuser_id: u\r\nexpect: 100-continue\r\n` +
  `content-type: multipart/form-data; boundary=BB\r\ncontent-length: ${length}\r\n\r\n`;

describe('Expect: 100-continue', () => {
  it('asks an admitted upload for its body, then answers 201', async () => {
    const body = await multipartJpeg();
    const c = open();
    c.socket.write(uploadHead(await newSession(), body.length));
    await vi.waitFor(() => expect(c.received()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n/));
    c.socket.write(body);
    await vi.waitFor(() => expect(c.received()).toContain('HTTP/1.1 201 '), { timeout: 10_000 });
    c.socket.destroy();
  });

  it('sheds an upload over the budget before its body is sent: 503, no 100, and the connection closes', async () => {
    const holder = stalledUpload(server.url, await newSession(), 'u', MiB);
    await new Promise((r) => setTimeout(r, 200));
    const c = open();
    c.socket.write(uploadHead(await newSession(), 4 * MiB));
    await c.closed;
    holder.destroy();
    const answer = c.received();
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).not.toContain('100 Continue');
    expect(answer.toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(answer.toLowerCase()).toContain('\r\nretry-after: 1\r\n');
  });

  it('asks a JSON request for its body at once', async () => {
    const c = open();
    c.socket.write(
      'POST /v1/session HTTP/1.1\r\nhost: 127.0.0.1\r\nuser_id: u\r\nexpect: 100-continue\r\n' +
        'content-type: application/json\r\ncontent-length: 2\r\n\r\n',
    );
    await vi.waitFor(() => expect(c.received()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n/));
    c.socket.write('{}');
    await vi.waitFor(() => expect(c.received()).toContain('HTTP/1.1 201 '));
    c.socket.destroy();
  });
});
