import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiPromise, createFaceEncodeClient, NotFoundError } from '../src/index.js';
import { BASE, IMAGE_ID, SESSION_ID, image, session, summary } from './fixtures.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const client = () => createFaceEncodeClient({ baseUrl: BASE, userId: 'u1', maxRetries: 1 });
const RATE = { ratelimit: 'limit=100, remaining=99, reset=60', 'ratelimit-policy': '100;w=60' };

describe('withResponse()', () => {
  it('gives the data next to the Response, its request id and rate-limit headers', async () => {
    server.use(
      http.get(`${BASE}/v1/session/${SESSION_ID}`, () =>
        HttpResponse.json(summary(), { headers: { 'x-request-id': 'req-42', ...RATE } }),
      ),
    );
    const call = client().getSession(SESSION_ID);
    expect(call).toBeInstanceOf(ApiPromise);
    expect(call).toBeInstanceOf(Promise);
    const { data, response, requestId } = await call.withResponse();
    expect(data).toEqual(summary());
    expect(requestId).toBe('req-42');
    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit')).toBe(RATE.ratelimit);
    expect(response.headers.get('ratelimit-policy')).toBe('100;w=60');
  });

  it('still awaits to the data alone, and then()/catch()/finally() give plain promises', async () => {
    server.use(http.get(`${BASE}/v1/session/${SESSION_ID}`, () => HttpResponse.json(summary())));
    expect(await client().getSession(SESSION_ID)).toEqual(summary());
    const chained = client()
      .getSession(SESSION_ID)
      .then((s) => s.session_id);
    expect(chained).not.toBeInstanceOf(ApiPromise);
    expect(await chained).toBe(SESSION_ID);
    let settled = false;
    await client()
      .getSession(SESSION_ID)
      .finally(() => {
        settled = true;
      });
    expect(settled).toBe(true);
  });

  it('is the response of the last attempt after a retry', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/v1/sessions`, () => {
        calls += 1;
        return calls === 1
          ? HttpResponse.json({}, { status: 503, headers: { 'retry-after': '0', 'x-request-id': 'req-1' } })
          : HttpResponse.json(
              { items: [session()], next_cursor: null },
              { headers: { 'x-request-id': 'req-2' } },
            );
      }),
    );
    const { data, requestId } = await client().listSessions({ limit: 1 }).withResponse();
    expect(calls).toBe(2);
    expect(requestId).toBe('req-2');
    expect(data.items).toHaveLength(1);
  });

  it('rejects with the typed error, once, whether awaited or asked withResponse()', async () => {
    server.use(
      http.get(`${BASE}/v1/session/${SESSION_ID}`, () =>
        HttpResponse.json(
          { type: 'about:blank', title: 'Session not found', status: 404, code: 'session_not_found' },
          { status: 404, headers: { 'content-type': 'application/problem+json' } },
        ),
      ),
    );
    await expect(client().getSession(SESSION_ID).withResponse()).rejects.toBeInstanceOf(NotFoundError);
    await expect(client().getSession(SESSION_ID)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      client()
        .getSession(SESSION_ID)
        .catch((e: unknown) => e),
    ).resolves.toBeInstanceOf(NotFoundError);
  });

  it('covers every single-request method: create (Location), upload, image, delete (204), selfie', async () => {
    const location = `/v1/session/${SESSION_ID}`;
    server.use(
      http.post(`${BASE}/v1/session`, () =>
        HttpResponse.json({ ...session(), webhook_secret: null }, { status: 201, headers: { location } }),
      ),
      http.post(`${BASE}/v1/image/${SESSION_ID}`, () =>
        HttpResponse.json(image(), { status: 201, headers: { 'x-request-id': 'req-up' } }),
      ),
      http.get(`${BASE}/v1/image/${SESSION_ID}/${IMAGE_ID}`, () => HttpResponse.json(image())),
      http.delete(`${BASE}/v1/session/${SESSION_ID}`, () => new HttpResponse(null, { status: 204 })),
      http.post(`${BASE}/v1/selfie`, () => HttpResponse.json([[0.1, 0.2]])),
    );
    const c = client();
    const created = await c.createSession().withResponse();
    expect(created.response.headers.get('location')).toBe(location);
    expect(created.data.session_id).toBe(SESSION_ID);
    const uploaded = await c.uploadImage(SESSION_ID, new Blob([new Uint8Array([1, 2, 3])])).withResponse();
    expect(uploaded).toMatchObject({ requestId: 'req-up', data: { image_id: IMAGE_ID } });
    expect((await c.getImage(SESSION_ID, IMAGE_ID).withResponse()).data.image_id).toBe(IMAGE_ID);
    const deleted = await c.deleteSession(SESSION_ID).withResponse();
    expect(deleted.response.status).toBe(204);
    expect(deleted.data).toBeUndefined();
    const selfie = await c.encodeSelfie(new Blob([new Uint8Array([1])])).withResponse();
    expect(selfie).toMatchObject({ data: [[0.1, 0.2]], response: { status: 200 } });
  });
});
