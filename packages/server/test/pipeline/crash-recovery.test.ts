import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FaceApiEncoder } from '../../src/encoder/faceapi-encoder.js';
import { cropFace, sample } from '../encoder/sample-images.js';
import { imageForm } from '../support/test-server.js';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-crash-'));
const children: ChildProcess[] = [];

/** Starts the built server as a child process; resolves its URL from the "listening" log line. */
function startChild(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [bin, 'start', '--auth', 'demo', '--port', '0', '--data-dir', dataDir, '--workers', '1'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'listening') resolve({ child, url: entry.url });
      } catch {
        // not JSON
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('crash recovery', () => {
  it('finishes every image exactly once after kill -9 with 20 images in flight', async () => {
    const encoder = new FaceApiEncoder();
    const faces = (await encoder.encode(sample(1))).faces;
    const crop = await cropFace(sample(1), faces[0]!.box, 320);

    const first = await startChild();
    const call = (url: string, path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { user_id: 'crash', ...(init.headers as Record<string, string>) },
      });
    const sessions: string[] = [];
    for (let s = 0; s < 4; s++) {
      const res = await call(first.url, '/v1/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const id = ((await res.json()) as { session_id: string }).session_id;
      sessions.push(id);
      for (let i = 0; i < 5; i++) {
        const up = await call(first.url, `/v1/image/${id}`, { method: 'POST', body: imageForm(crop) });
        expect(up.status).toBe(201);
      }
    }
    // Let the worker get into the queue, then pull the plug.
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startChild();
    const deadline = Date.now() + 170_000;
    let summaries: Array<{ status: string; images: Array<{ status: string; faces: unknown[] }> }> = [];
    while (Date.now() < deadline) {
      summaries = await Promise.all(
        sessions.map(async (id) => (await call(second.url, `/v1/session/${id}`)).json()),
      );
      if (summaries.every((s) => s.status === 'completed')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const images = summaries.flatMap((s) => s.images);
    expect(images).toHaveLength(20);
    expect(images.map((i) => i.status)).toEqual(Array(20).fill('done'));
    // Exactly once: one face per image, never a duplicated write.
    expect(images.map((i) => i.faces.length)).toEqual(Array(20).fill(1));
    second.child.kill('SIGTERM');
  }, 240_000);
});
