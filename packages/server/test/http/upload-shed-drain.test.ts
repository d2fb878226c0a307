import type { ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stalledUpload } from '../support/stalled-upload.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// A budget of 1 MiB, held by one stalled upload: every further upload is shed with a 503.
let server: TestServer;
let holder: ClientRequest;
const MiB = 2 ** 20;

async function newSession(target: TestServer = server): Promise<string> {
  const created = await target.call('/v1/session', {
    method: 'POST',
    user: 'shed',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  return ((await created.json()) as { session_id: string }).session_id;
}

beforeAll(async () => {
  server = await startTestServer({ uploadBufferMb: 1, uploadDecodes: 1, keepAliveTimeoutMs: 1_000 });
  holder = stalledUpload(server.url, await newSession(), 'shed', MiB);
  await sleep(200);
});
afterAll(async () => {
  holder.destroy();
  await server.dispose();
});

interface Outcome {
  status: number | undefined;
  retryAfter: string | undefined;
  /** Bytes of the body written before the client saw its 503. */
  sentAtAnswer: number;
  bodyWritten: boolean;
  error: string | undefined;
}

/**
 * A client like undici's fetch, which writes its whole body whatever the server answers meanwhile:
 * 64 KiB every 10 ms over a plain socket, honouring backpressure, until all of it is written or the
 * socket fails; the answer is read as it comes.
 */
function slowUpload(
  sessionId: string,
  total: number,
  pauseMs = 0,
  path = `/v1/image/${sessionId}`,
): Promise<Outcome> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  const outcome: Outcome = {
    status: undefined,
    retryAfter: undefined,
    sentAtAnswer: -1,
    bodyWritten: false,
    error: undefined,
  };
  let sent = 0;
  let answer = '';
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    answer += text;
    const head = answer.split('\r\n\r\n')[0] ?? '';
    if (outcome.status !== undefined || !answer.includes('\r\n\r\n')) return;
    outcome.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    outcome.retryAfter = /\r\nretry-after: ([^\r]*)/i.exec(head)?.[1];
    outcome.sentAtAnswer = sent;
  });
  socket.on('error', (error: NodeJS.ErrnoException) => (outcome.error = error.code ?? error.message));
  return new Promise((resolve) => {
    socket.on('close', () => resolve(outcome));
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nuser_id: shed\r\n` +
        `content-type: multipart/form-data; boundary=BB\r\ncontent-length: ${total}\r\n\r\n`,
    );
    void (async () => {
      while (sent < total && !socket.destroyed) {
        const n = Math.min(64 * 1024, total - sent);
        const more = socket.write(Buffer.alloc(n, 0x41));
        sent += n;
        if (!more) await new Promise((r) => socket.once('drain', r).once('close', r));
        await sleep(sent === total / 2 ? pauseMs : 10);
      }
      if (socket.destroyed) return;
      outcome.bodyWritten = true;
      // Done: the client hangs up once it has its answer (or at once, if it has it already).
      if (outcome.status !== undefined) socket.end();
      else socket.once('data', () => socket.end());
    })();
  });
}

describe('a shed upload', () => {
  it('gets its 503 before its body is sent, and its socket is not closed under its body', async () => {
    const outcome = await slowUpload(await newSession(), 4 * MiB);
    expect(outcome.status).toBe(503);
    expect(outcome.retryAfter).toBe('1');
    expect(outcome.sentAtAnswer).toBeLessThan(4 * MiB);
    // Before: the server stopped reading the refused body, the client blocked on a full socket and
    // the keep-alive timer closed the connection under it (EPIPE / ECONNRESET for undici).
    expect(outcome.error).toBeUndefined();
    expect(outcome.bodyWritten).toBe(true);
  }, 30_000);

  it('may pause its body as long as any upload (the idle timeout), not just the keep-alive timeout', async () => {
    const outcome = await slowUpload(await newSession(), 2 * MiB, 3_000);
    expect(outcome.status).toBe(503);
    expect(outcome.error).toBeUndefined();
    expect(outcome.bodyWritten).toBe(true);
  }, 30_000);
});

describe('any answer sent before its body arrives', () => {
  it('leaves the client the idle timeout to finish its body, not the keep-alive one (a 404)', async () => {
    // No handler reads this body and no error is thrown: the not-found answer goes out at once.
    const outcome = await slowUpload('', 2 * MiB, 3_000, '/v1/no-such-route');
    expect(outcome.status).toBe(404);
    expect(outcome.sentAtAnswer).toBeLessThan(2 * MiB);
    expect(outcome.error).toBeUndefined();
    expect(outcome.bodyWritten).toBe(true);
  }, 30_000);
});

describe('a shed upload trickling its body', () => {
  it('is still cut off at the request timeout', async () => {
    const strict = await startTestServer({
      uploadBufferMb: 1,
      uploadDecodes: 1,
      requestTimeoutMs: 2_000,
      headersTimeoutMs: 1_000,
    });
    const { port } = new URL(strict.url);
    const sessionId = await newSession(strict);
    const stalled = stalledUpload(strict.url, sessionId, 'shed', MiB);
    await sleep(200);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => (answer += text));
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(
      `POST /v1/image/${sessionId} HTTP/1.1\r\nhost: 127.0.0.1\r\nuser_id: shed\r\n` +
        'content-type: multipart/form-data; boundary=BB\r\ncontent-length: 100000\r\n\r\n',
    );
    // One byte every 300 ms: never idle, never done.
    const trickle = setInterval(() => socket.writable && socket.write('A'), 300);
    const outcome = await Promise.race([closed.then(() => 'closed'), sleep(10_000).then(() => 'open')]);
    clearInterval(trickle);
    socket.destroy();
    stalled.destroy();
    await strict.dispose();
    expect(answer.startsWith('HTTP/1.1 503 ')).toBe(true);
    expect(outcome).toBe('closed');
  }, 30_000);
});
