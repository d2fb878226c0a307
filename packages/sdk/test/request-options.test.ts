import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, createFaceEncodeClient, ServerError, TimeoutError } from '../src/index.js';
import { BASE, SESSION_ID, session, summary } from './fixtures.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

// Retries are immediate enough: 503 without Retry-After backs off 500 ms ×2ⁿ; tests keep retries few.
const client = () => createFaceEncodeClient({ baseUrl: BASE, userId: 'u1', maxRetries: 2 });

describe('per-request options', () => {
  it('createSession sends one Idempotency-Key on every retry, and the per-request headers', async () => {
    const keys: Array<string | null> = [];
    const traces: Array<string | null> = [];
    server.use(
      http.post(`${BASE}/v1/session`, ({ request }) => {
        keys.push(request.headers.get('idempotency-key'));
        traces.push(request.headers.get('x-trace'));
        return keys.length === 1
          ? HttpResponse.json({}, { status: 503 })
          : HttpResponse.json({ ...session(), webhook_secret: null }, { status: 201 });
      }),
    );
    await client().createSession({}, { headers: { 'x-trace': 't-1' } });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(traces).toEqual(['t-1', 't-1']);
  });

  it('takes a caller-chosen idempotencyKey, and a fresh one per call otherwise', async () => {
    const keys: Array<string | null> = [];
    server.use(
      http.post(`${BASE}/v1/session`, ({ request }) => {
        keys.push(request.headers.get('idempotency-key'));
        return HttpResponse.json({ ...session(), webhook_secret: null }, { status: 201 });
      }),
    );
    await client().createSession({}, { idempotencyKey: 'mine-1' });
    await client().createSession();
    await client().createSession();
    expect(keys[0]).toBe('mine-1');
    expect(keys[1]).not.toBe(keys[2]);
  });

  it('maxRetries per request overrides the client (0: one attempt)', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/v1/session/${SESSION_ID}`, () => {
        calls += 1;
        return HttpResponse.json({}, { status: 503 });
      }),
    );
    await expect(client().getSession(SESSION_ID, { maxRetries: 0 })).rejects.toBeInstanceOf(ServerError);
    expect(calls).toBe(1);
  });

  it('timeoutMs and signal per request', async () => {
    server.use(
      http.get(`${BASE}/v1/sessions`, async () => {
        await new Promise((r) => setTimeout(r, 1000));
        return HttpResponse.json({ items: [], next_cursor: null });
      }),
    );
    await expect(client().listSessions({ timeoutMs: 50, maxRetries: 0 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expect(client().listSessions({ signal: controller.signal })).rejects.toBeInstanceOf(AbortError);
  });

  it('headers reach GETs and DELETEs too', async () => {
    const seen: Array<string | null> = [];
    server.use(
      http.get(`${BASE}/v1/session/${SESSION_ID}`, ({ request }) => {
        seen.push(request.headers.get('x-trace'));
        return HttpResponse.json(summary());
      }),
      http.delete(`${BASE}/v1/session/${SESSION_ID}`, ({ request }) => {
        seen.push(request.headers.get('x-trace'));
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await client().getSession(SESSION_ID, { headers: { 'x-trace': 'g' } });
    await client().deleteSession(SESSION_ID, { headers: { 'x-trace': 'd' } });
    expect(seen).toEqual(['g', 'd']);
  });

  it('client.raw.use() middleware sees every attempt of the high-level methods', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/v1/session/${SESSION_ID}`, ({ request }) => {
        calls += 1;
        expect(request.headers.get('x-from-middleware')).toBe('yes');
        return calls === 1 ? HttpResponse.json({}, { status: 503 }) : HttpResponse.json(summary());
      }),
    );
    const c = client();
    const statuses: number[] = [];
    c.raw.use({
      onRequest: ({ request }) => {
        request.headers.set('x-from-middleware', 'yes');
        return request;
      },
      onResponse: ({ response }) => {
        statuses.push(response.status);
      },
    });
    await c.getSession(SESSION_ID);
    expect(statuses).toEqual([503, 200]);
  });
});
