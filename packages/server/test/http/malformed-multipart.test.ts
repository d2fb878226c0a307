import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let sessionPath: string;

beforeAll(async () => {
  server = await startTestServer();
  const res = await server.call('/v1/session', {
    method: 'POST',
    user: 'mp',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  sessionPath = `/v1/image/${((await res.json()) as { session_id: string }).session_id}`;
});
afterAll(() => server.dispose());

const CRLF = '\r\n';
const part = (boundary: string, eol = CRLF) =>
  `--${boundary}${eol}Content-Disposition: form-data; name="file"; filename="a.jpg"${eol}` +
  `Content-Type: image/jpeg${eol}${eol}\xff\xd8\xff\xe0 not really a jpeg${eol}--${boundary}--${eol}`;

/** Each malformed body, with the Content-Type it is sent under. */
const CASES: Array<{ name: string; type: string; body: string }> = [
  { name: 'no boundary', type: 'multipart/form-data', body: part('BB') },
  { name: 'empty boundary', type: 'multipart/form-data; boundary=', body: part('') },
  {
    name: 'boundary over 256 characters',
    type: `multipart/form-data; boundary=${'b'.repeat(300)}`,
    body: part('b'.repeat(300)),
  },
  { name: 'duplicate boundary', type: 'multipart/form-data; boundary=AA; boundary=BB', body: part('BB') },
  { name: 'empty body', type: 'multipart/form-data; boundary=BB', body: '' },
  { name: 'garbage', type: 'multipart/form-data; boundary=BB', body: 'hello' },
  { name: 'truncated', type: 'multipart/form-data; boundary=BB', body: part('BB').slice(0, 60) },
  { name: 'LF-only line endings', type: 'multipart/form-data; boundary=BB', body: part('BB', '\n') },
  {
    name: 'no CRLFCRLF after the part headers',
    type: 'multipart/form-data; boundary=BB',
    body: `--BB${CRLF}Content-Disposition: form-data; name="file"; filename="a.jpg"${CRLF}xxxx${CRLF}--BB--${CRLF}`,
  },
  {
    name: 'a part without Content-Disposition',
    type: 'multipart/form-data; boundary=BB',
    body: `--BB${CRLF}Content-Type: image/jpeg${CRLF}${CRLF}${'x'.repeat(20_000)}${CRLF}--BB--${CRLF}`,
  },
];

describe('malformed multipart', () => {
  for (const path of ['upload', 'selfie'] as const) {
    for (const c of CASES) {
      it(`answers 400 problem+json on ${path}: ${c.name}`, async () => {
        const res = await server.call(path === 'upload' ? sessionPath : '/v1/selfie', {
          method: 'POST',
          user: 'mp',
          headers: { 'content-type': c.type },
          body: Buffer.from(c.body, 'latin1'),
          signal: AbortSignal.timeout(10_000),
        });
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const problem = (await res.json()) as { code: string; detail: string };
        expect(['validation_failed', 'invalid_image']).toContain(problem.code);
        expect(problem.detail).not.toMatch(/\n\s+at /);
      });
    }
  }
  it('stays healthy afterwards', async () => {
    expect((await server.call('/healthz')).status).toBe(200);
  });
});
