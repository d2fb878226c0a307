import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHome, json } from '../helpers/cli.js';
import { blankPng, oversizedJpeg, samplePhoto, textAsJpeg } from '../helpers/images.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const USER = 'upload-user';
let server: TestServer;
let home: CliHome;
let dir: string;
let blank: string;

beforeAll(async () => {
  server = await startTestServer({ auth: 'demo' });
  home = new CliHome();
  dir = mkdtempSync(join(tmpdir(), 'face-encode-upload-'));
  blank = await blankPng(join(dir, 'blank.png'));
});
afterAll(async () => {
  await server?.close();
  home?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => home.run([...args, '--url', server.url, '--user-id', USER]);

async function newSession(): Promise<string> {
  const r = await cli(['session', 'create', '--json']);
  expect(r.code).toBe(0);
  return json<{ session_id: string }>(r).session_id;
}

async function imageCount(sessionId: string): Promise<number> {
  const { status, body } = await server.getSession(sessionId, USER);
  expect(status).toBe(200);
  return body.image_count as number;
}

describe('upload: local checks refuse before anything is sent (exit 5)', () => {
  it.each([
    [
      'six files',
      () => Array.from({ length: 6 }, () => samplePhoto(1)),
      /6 files given; a session holds at most 5 images/,
    ],
    ['a missing file', () => [samplePhoto(1), join(dir, 'missing.jpg')], /missing\.jpg does not exist/],
    [
      'a text file named .jpg',
      () => [textAsJpeg(join(dir, 'notes.jpg'))],
      /not a JPEG, PNG, WebP or GIF image/,
    ],
    ['a file over 8 MiB', () => [oversizedJpeg(join(dir, 'huge.jpg'), 8)], /over the 8 MiB limit/],
  ])('refuses %s', async (_name, files, message) => {
    const sessionId = await newSession();
    const r = await cli(['upload', sessionId, ...files()]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Hint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
    expect(r.stdout).toBe('');
    expect(await imageCount(sessionId)).toBe(0);
  });

  it('honours --max-file-mb', async () => {
    const sessionId = await newSession();
    const r = await cli(['upload', sessionId, oversizedJpeg(join(dir, 'two.jpg'), 2), '--max-file-mb', '1']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/over the 1 MiB limit/);
    expect(await imageCount(sessionId)).toBe(0);
  });

  it('refuses files that would push the session past 5 images, keeping what it has', async () => {
    const sessionId = await newSession();
    const first = await cli(['upload', sessionId, blank, blank, blank, '--json']);
    expect(first.code).toBe(0);
    expect(await imageCount(sessionId)).toBe(3);
    const second = await cli(['upload', sessionId, blank, blank, blank]);
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/holds 3 of 5 images; 3 more would exceed the limit/);
    expect(second.stderr).toMatch(/Upload at most 2 more/);
    expect(await imageCount(sessionId)).toBe(3);
  });
});

describe('upload', () => {
  it('--direct sends the bytes straight to storage and gets the same images', async () => {
    const sessionId = await newSession();
    const r = await cli(['upload', sessionId, blank, samplePhoto(2), '--direct', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ images: { image_name: string; status: string; content_type: string }[] }>(r);
    expect(out.images.map((i) => [i.image_name, i.content_type, i.status])).toEqual([
      ['blank.png', 'image/png', 'queued'],
      ['sample2.jpg', 'image/jpeg', 'queued'],
    ]);
    expect(await imageCount(sessionId)).toBe(2);
  });

  it('uploads concurrently and prints the images as JSON', async () => {
    const sessionId = await newSession();
    const r = await cli(['upload', sessionId, blank, samplePhoto(2), '--json']);
    expect(r.code).toBe(0);
    const out = json<{
      session_id: string;
      images: { image_id: string; image_name: string; status: string; content_type: string }[];
    }>(r);
    expect(out.session_id).toBe(sessionId);
    expect(out.images.map((i) => [i.image_name, i.content_type])).toEqual([
      ['blank.png', 'image/png'],
      ['sample2.jpg', 'image/jpeg'],
    ]);
    expect(await imageCount(sessionId)).toBe(2);
  });

  it('prints one line per image and plain progress on stderr when not on a TTY', async () => {
    const sessionId = await newSession();
    const r = await cli(['upload', sessionId, blank]);
    expect(r.code).toBe(0);
    // The base name, as on every other line of output.
    expect(r.stdout).toMatch(/^[0-9a-f-]{36}\s+(queued|processing|done)\s+blank\.png\n$/);
    expect(r.stderr).toMatch(/Uploaded blank\.png/);
    expect(r.stderr).not.toContain('\u001b['); // no spinner or colors off a TTY
  });

  it('reports an unknown session as not found (exit 4) with a hint', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const r = await cli(['upload', missing, blank]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`Session ${missing} not found.`);
    expect(r.stderr).toContain('Run face-encode session list.');
  });
});
