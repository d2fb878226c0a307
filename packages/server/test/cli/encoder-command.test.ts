import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asGif, distance, noFace, oneFace, tinyGif, twoFaces } from '../encoder/sample-images.js';
import { expectSchema } from '../support/spec-validator.js';
import { BIN, spawnServer, type SpawnedServer } from '../support/spawn-server.js';

// Real `face-encode-server encoder` processes, called as the existing client services call them.
const run = promisify(execFile);
let encoder: SpawnedServer;
let images: Record<'one' | 'two' | 'none' | 'gif' | 'tinyGif', Buffer>;

interface Part {
  field?: string;
  /** Every client sends one: the original name, a timestamped one, or the literal `file`. */
  filename: string;
  /** undefined: the part has no Content-Type header. */
  type?: string;
  bytes: Buffer;
}

/** A multipart body built by hand, so filename and part Content-Type are exactly what a client sends. */
function multipart(part: Part): { body: Buffer; contentType: string } {
  const boundary = `----client-${Math.random().toString(16).slice(2)}`;
  const head = [
    `--${boundary}`,
    `Content-Disposition: form-data; name="${part.field ?? 'file'}"; filename="${part.filename}"`,
    ...(part.type === undefined ? [] : [`Content-Type: ${part.type}`]),
    '',
    '',
  ].join('\r\n');
  return {
    body: Buffer.concat([Buffer.from(head), part.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** POST /v1/selfie without credentials, as those services do. */
function selfie(url: string, part: Part, headers: Record<string, string> = {}) {
  const { body, contentType } = multipart(part);
  return fetch(`${url}/v1/selfie`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: new Uint8Array(body),
  });
}

function expectEncodings(body: unknown, faces: number): void {
  expect(Array.isArray(body)).toBe(true);
  expectSchema('SelfieEncodings', body);
  const encodings = body as number[][];
  expect(encodings).toHaveLength(faces);
  for (const e of encodings) {
    expect(e).toHaveLength(128);
    expect(e.every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
  }
}

beforeAll(async () => {
  const one = await oneFace();
  images = {
    one,
    two: await twoFaces(),
    none: await noFace(),
    gif: await asGif(one),
    tinyGif: await tinyGif(),
  };
  encoder = await spawnServer(['encoder', '--port', '0', '--workers', '1']);
}, 180_000);
afterAll(async () => {
  expect(await encoder?.stop()).toBe(0);
});

describe('face-encode-server encoder: the client table', () => {
  it.each<[string, Omit<Part, 'bytes'> & { image: keyof typeof images }, number]>([
    ['the original filename, image/jpeg', { image: 'one', filename: 'selfie.jpg', type: 'image/jpeg' }, 1],
    ['a timestamped filename', { image: 'one', filename: '1717171717171-selfie.jpg', type: 'image/jpeg' }, 1],
    ['the literal filename "file"', { image: 'one', filename: 'file', type: 'image/jpeg' }, 1],
    [
      'part type application/octet-stream',
      { image: 'one', filename: 'selfie.jpg', type: 'application/octet-stream' },
      1,
    ],
    ['no part Content-Type', { image: 'one', filename: 'selfie.jpg' }, 1],
    ['the literal part type "file"', { image: 'one', filename: 'file', type: 'file' }, 1],
    ['a 1×1 GIF', { image: 'tinyGif', filename: 'pixel.gif', type: 'image/gif' }, 0],
    ['a GIF selfie', { image: 'gif', filename: 'selfie.gif', type: 'image/gif' }, 1],
    ['a no-face image', { image: 'none', filename: 'wall.jpg', type: 'image/jpeg' }, 0],
    ['a two-face image', { image: 'two', filename: 'pair.jpg', type: 'image/jpeg' }, 2],
  ])('%s: 200 and a bare array, without credentials', async (_name, shape, faces) => {
    const res = await selfie(encoder.url, { ...shape, bytes: images[shape.image] });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectEncodings(JSON.parse(text), faces);
  });

  it('keeps a 415 listing the accepted types for other formats', async () => {
    const tiff = await sharp(images.one).tiff().toBuffer();
    const res = await selfie(encoder.url, { filename: 'x.tif', type: 'image/tiff', bytes: tiff });
    expect(res.status).toBe(415);
    const problem = (await res.json()) as { code: string; error: string };
    expect(problem.code).toBe('unsupported_media_type');
    expect(problem.error).toContain('image/jpeg, image/png, image/webp, image/gif');
  });
});

describe('face-encode-server encoder: what it serves', () => {
  it('serves only the encoder and the operations endpoints, documented without credentials', async () => {
    expect(await (await fetch(`${encoder.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = (await (await fetch(`${encoder.url}/readyz`)).json()) as Record<string, unknown>;
    expectSchema('Readiness', ready);
    expect(ready).toEqual({ status: 'ready', checks: { model: { ok: true } } });
    const metrics = await (await fetch(`${encoder.url}/metrics`)).text();
    expect(metrics).toMatch(/face_encode_http_request_duration_seconds_count\{[^}]*route="\/v1\/selfie"/);
    expect(metrics).toContain('face_encode_encode_duration_seconds_count');
    const doc = (await (await fetch(`${encoder.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      security: unknown[];
    };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/metrics',
      '/openapi.json',
      '/readyz',
      '/v1/selfie',
    ]);
    expect(doc.paths['/v1/selfie']?.post?.security).toEqual([]);
    for (const [method, path] of [
      ['POST', '/v1/session'],
      ['GET', '/v1/sessions'],
      ['GET', '/docs'],
    ] as const) {
      const res = await fetch(`${encoder.url}${path}`, { method, headers: { user_id: 'u' } });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });

  it('defaults to 127.0.0.1, port 8000 and auth none (as its help says)', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'encoder', '--help']);
    const help = stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--host <host> interface to bind (default: "127.0.0.1")');
    expect(help).toContain('(default: 8000)');
    expect(help).toContain('(choices: "none", "api-key", "jwt", default: "none")');
  });

  it('asks for an API key with --auth api-key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-encoder-'));
    try {
      const created = await run(process.execPath, [
        BIN,
        'keys',
        'create',
        '--user',
        'svc',
        '--data-dir',
        dataDir,
      ]);
      const key = /fe_[A-Za-z0-9_-]+/.exec(created.stdout)?.[0] as string;
      const guarded = await spawnServer([
        'encoder',
        ...['--port', '0', '--workers', '1', '--auth', 'api-key', '--data-dir', dataDir],
      ]);
      try {
        const part = { filename: 'pixel.gif', type: 'image/gif', bytes: images.tinyGif };
        expect((await selfie(guarded.url, part)).status).toBe(401);
        const res = await selfie(guarded.url, part, { authorization: `Bearer ${key}` });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual([]);
        expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);
      } finally {
        expect(await guarded.stop()).toBe(0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('face-encode-server start --encoder remote', () => {
  it('encodes a session through a separate encoder process', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-remote-'));
    const server = await spawnServer([
      'start',
      ...['--port', '0', '--workers', '1', '--auth', 'demo', '--data-dir', dataDir],
      ...['--encoder', 'remote', '--remote-encoder-url', encoder.url],
    ]);
    try {
      const call = (path: string, init: RequestInit = {}) =>
        fetch(`${server.url}${path}`, { ...init, headers: { user_id: 'alice', ...init.headers } });
      const session = (await (await call('/v1/session', { method: 'POST' })).json()) as {
        session_id: string;
      };
      const form = new FormData();
      form.set('file', new Blob([new Uint8Array(images.two)]), 'pair.jpg');
      const uploaded = await call(`/v1/image/${session.session_id}?wait=30`, { method: 'POST', body: form });
      expect(uploaded.status).toBe(201);
      const image = (await uploaded.json()) as { status: string; faces: Array<{ encoding: number[] }> };
      expect(image.status).toBe('done');
      // The encoder's own encodings of the image: the session's came from it. (Not bit-equal: the
      // session server sends its normalized re-encoding, which the encoder normalizes once more.)
      const direct = await selfie(encoder.url, {
        filename: 'pair.jpg',
        type: 'image/jpeg',
        bytes: images.two,
      });
      const expected = (await direct.json()) as number[][];
      expect(image.faces).toHaveLength(expected.length);
      for (const face of image.faces)
        expect(Math.min(...expected.map((e) => distance(e, face.encoding)))).toBeLessThan(0.1);
      const summary = (await (await call(`/v1/session/${session.session_id}`)).json()) as Record<string, any>;
      expect(summary.status).toBe('completed');
      expect(summary.summary.model.id).toBe(`remote:${new URL(encoder.url).host}/v1/selfie`);
    } finally {
      expect(await server.stop()).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('still takes the old flag name --remote-url', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-remote-'));
    const server = await spawnServer([
      'start',
      ...['--port', '0', '--workers', '0', '--auth', 'demo', '--data-dir', dataDir],
      ...['--encoder', 'remote', '--remote-url', 'http://127.0.0.1:8123'],
    ]);
    try {
      const headers = { user_id: 'alice' };
      const created = await fetch(`${server.url}/v1/session`, { method: 'POST', headers });
      const { session_id } = (await created.json()) as { session_id: string };
      const summary = (await (
        await fetch(`${server.url}/v1/session/${session_id}`, { headers })
      ).json()) as Record<string, any>;
      expect(summary.summary.model.id).toBe('remote:127.0.0.1:8123/v1/selfie');
    } finally {
      expect(await server.stop()).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses the remote engine without an encoder URL', async () => {
    const failed = await run(process.execPath, [BIN, 'start', '--encoder', 'remote', '--port', '0']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain('--remote-encoder-url');
  });
});
