// Helpers of the collection tests: a user's calls to a test server, as JSON.
import { expect } from 'vitest';
import { sample } from '../encoder/sample-images.js';
import { imageForm, type TestServer } from './test-server.js';

export type Json = Record<string, any>;

/** A user's JSON calls to `server`: `call(method, path, body?)` resolves to status and body. */
export function caller(server: TestServer, user: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const init: RequestInit & { user: string } = { method, user };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await server.call(path, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
}

/** A completed session of one image (sample 1 of face-api, several people), encoded for real. */
export async function encodedSession(server: TestServer, user: string): Promise<Json> {
  const call = caller(server, user);
  const created = await call('POST', '/v1/session', {});
  expect(created.status).toBe(201);
  const id = created.body.session_id as string;
  const upload = await call('POST', `/v1/image/${id}?wait=30`, imageForm(sample(1), 'group.jpg'));
  expect(upload.body.status).toBe('done');
  const summary = await call('GET', `/v1/session/${id}`);
  expect(summary.body.status).toBe('completed');
  return summary.body;
}

/** A 32-byte master key as base64, as FACE_ENCODE_MASTER_KEY takes it. */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
