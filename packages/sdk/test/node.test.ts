import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFaceEncodeClient, readImageFile, ValidationError, SDK_VERSION } from '../src/node.js';
import { BASE, SESSION_ID, image } from './fixtures.js';

const server = setupServer();
const dir = mkdtempSync(join(tmpdir(), 'sdk-node-'));
const photo = join(dir, 'face.jpg');
writeFileSync(photo, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  vi.unstubAllEnvs();
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

function captureUploads(): { name: unknown; fileName: string; size: number }[] {
  const seen: { name: unknown; fileName: string; size: number }[] = [];
  server.use(
    http.post(`${BASE}/v1/image/:id`, async ({ request }) => {
      const form = await request.formData();
      const file = form.get('file') as File;
      seen.push({ name: form.get('image_name'), fileName: file.name, size: file.size });
      return HttpResponse.json(image(), { status: 201 });
    }),
  );
  return seen;
}

describe('node entry', () => {
  it('uploads a path, a Buffer and a Readable', async () => {
    const seen = captureUploads();
    const client = createFaceEncodeClient({ baseUrl: BASE });
    await client.uploadImage(SESSION_ID, photo);
    await client.uploadImage(SESSION_ID, Buffer.from([1, 2, 3]), { imageName: 'buf.jpg' });
    await client.uploadImage(SESSION_ID, createReadStream(photo));
    await client.uploadImage(SESSION_ID, Readable.from([Buffer.from([9, 9])]));
    expect(seen).toEqual([
      { name: 'face.jpg', fileName: 'face.jpg', size: 6 },
      { name: 'buf.jpg', fileName: 'buf.jpg', size: 3 },
      { name: 'face.jpg', fileName: 'face.jpg', size: 6 },
      { name: null, fileName: 'image', size: 2 },
    ]);
  });

  it('reads a file into a named File', async () => {
    const file = await readImageFile(photo);
    expect(file.name).toBe('face.jpg');
    expect(file.size).toBe(6);
  });

  it('maps an unreadable path to ValidationError', async () => {
    const client = createFaceEncodeClient({ baseUrl: BASE });
    await expect(client.uploadImage(SESSION_ID, join(dir, 'missing.jpg'))).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('falls back to FACE_ENCODE_URL and FACE_ENCODE_API_KEY and sends a User-Agent', async () => {
    vi.stubEnv('FACE_ENCODE_URL', BASE);
    vi.stubEnv('FACE_ENCODE_API_KEY', 'fe_env');
    let seen: { auth: string | null; ua: string | null } | undefined;
    server.use(
      http.get(`${BASE}/v1/sessions`, ({ request }) => {
        seen = { auth: request.headers.get('authorization'), ua: request.headers.get('user-agent') };
        return HttpResponse.json({ items: [], next_cursor: null });
      }),
    );
    await createFaceEncodeClient().listSessions();
    expect(seen?.auth).toBe('Bearer fe_env');
    expect(seen?.ua).toContain(`face-encode-sdk/${SDK_VERSION}`);
  });
});
