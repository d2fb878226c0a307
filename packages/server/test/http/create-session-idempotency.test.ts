import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.dispose());

const create = (user: string, body: unknown, key?: string) =>
  server.call('/v1/session', {
    method: 'POST',
    user,
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
const count = async (user: string) =>
  ((await (await server.call('/v1/sessions', { user })).json()) as { items: unknown[] }).items.length;

describe('POST /v1/session with Idempotency-Key', () => {
  it('replays the first response for the same key and body, and opens one session', async () => {
    const body = { vendor_data: 'order-1', callback_url: 'https://example.org/hook' };
    const first = await create('idem-a', body, 'key-1');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const a = (await first.json()) as { session_id: string; webhook_secret: string };
    const second = await create('idem-a', body, 'key-1');
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('location')).toBe(`/v1/session/${a.session_id}`);
    expect(await second.json()).toEqual(a);
    expect(await count('idem-a')).toBe(1);
  });

  it('refuses the same key with another body (422), and keeps keys per user', async () => {
    expect((await create('idem-b', { vendor_data: 'x' }, 'key-2')).status).toBe(201);
    const other = await create('idem-b', { vendor_data: 'y' }, 'key-2');
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('idempotency_conflict');
    // Another user's identical key is theirs.
    expect(
      (await create('idem-c', { vendor_data: 'y' }, 'key-2')).headers.get('idempotent-replayed'),
    ).toBeNull();
  });

  it('opens a new session per request without a key', async () => {
    await create('idem-d', {});
    await create('idem-d', {});
    expect(await count('idem-d')).toBe(2);
  });
});
