import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  createFaceEncodeClient,
  FaceEncodeError,
  NotFoundError,
  RateLimitError,
  ServerError,
  SessionExpiredError,
  TimeoutError,
  TooManyImagesError,
  ValidationError,
  type ErrorCode,
  type Session,
} from '../src/index.js';
import { BASE, IMAGE_ID, SESSION_ID, image, problem, session, summary } from './fixtures.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const client = (maxRetries = 2) => createFaceEncodeClient({ baseUrl: BASE, userId: 'u1', maxRetries });
const jpeg = () => new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);

describe('requests', () => {
  it('creates a session with auth headers and a JSON body', async () => {
    let seen: { body: unknown; user: string | null; auth: string | null } | undefined;
    server.use(
      http.post(`${BASE}/v1/session`, async ({ request }) => {
        seen = {
          body: await request.json(),
          user: request.headers.get('user_id'),
          auth: request.headers.get('authorization'),
        };
        return HttpResponse.json({ ...session(), webhook_secret: null }, { status: 201 });
      }),
    );
    const created = await client().createSession({ vendor_data: 'v' });
    expect(created.session_id).toBe(SESSION_ID);
    expect(seen).toEqual({ body: { vendor_data: 'v' }, user: 'u1', auth: null });
  });

  it('sends the API key as a bearer token', async () => {
    let auth: string | null = null;
    server.use(
      http.get(`${BASE}/v1/session/:id`, ({ request }) => {
        auth = request.headers.get('authorization');
        return HttpResponse.json(summary());
      }),
    );
    await createFaceEncodeClient({ baseUrl: BASE, apiKey: 'fe_key' }).getSession(SESSION_ID);
    expect(auth).toBe('Bearer fe_key');
  });

  it('uploads multipart with file, image_name, Content-Digest and an Idempotency-Key', async () => {
    let seen: Record<string, unknown> = {};
    server.use(
      http.post(`${BASE}/v1/image/:id`, async ({ request, params }) => {
        const form = await request.formData();
        const file = form.get('file') as File;
        seen = {
          id: params.id,
          wait: new URL(request.url).searchParams.get('wait'),
          contentType: request.headers.get('content-type'),
          digest: request.headers.get('content-digest'),
          key: request.headers.get('idempotency-key'),
          fileName: file.name,
          size: file.size,
          imageName: form.get('image_name'),
        };
        return HttpResponse.json(image(), { status: 201 });
      }),
    );
    const bytes = jpeg();
    const hash = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('base64');
    await client().uploadImage(SESSION_ID, bytes, { imageName: 'front.jpg', wait: 5 });
    expect(seen).toMatchObject({
      id: SESSION_ID,
      wait: '5',
      digest: `sha-256=:${hash}:`,
      fileName: 'front.jpg',
      size: 4,
      imageName: 'front.jpg',
    });
    expect(String(seen.contentType)).toMatch(/^multipart\/form-data; boundary=/);
    expect(String(seen.key)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('uses a File name when no imageName is given', async () => {
    let name: unknown;
    server.use(
      http.post(`${BASE}/v1/image/:id`, async ({ request }) => {
        name = (await request.formData()).get('image_name');
        return HttpResponse.json(image(), { status: 201 });
      }),
    );
    await client().uploadImage(SESSION_ID, new File([jpeg()], 'me.jpg'));
    expect(name).toBe('me.jpg');
  });

  it('encodes a selfie synchronously', async () => {
    server.use(http.post(`${BASE}/v1/selfie`, () => HttpResponse.json([[0.1, 0.2]])));
    expect(await client().encodeSelfie(new Blob([jpeg()]))).toEqual([[0.1, 0.2]]);
  });

  it('deletes a session', async () => {
    let deleted = false;
    server.use(
      http.delete(`${BASE}/v1/session/:id`, () => {
        deleted = true;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    await expect(client().deleteSession(SESSION_ID)).resolves.toBeUndefined();
    expect(deleted).toBe(true);
  });
});

describe('retries', () => {
  it('retries 5xx then succeeds, counting attempts', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => {
        attempts++;
        if (attempts < 3)
          return HttpResponse.json(problem(503, 'service_unavailable'), {
            status: 503,
            headers: { 'Retry-After': '0' },
          });
        return HttpResponse.json(summary());
      }),
    );
    await client().getSession(SESSION_ID);
    expect(attempts).toBe(3);
  });

  it('gives up after maxRetries and throws the mapped error', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => {
        attempts++;
        return HttpResponse.json(problem(500, 'internal'), { status: 500, headers: { 'Retry-After': '0' } });
      }),
    );
    await expect(client(1).getSession(SESSION_ID)).rejects.toBeInstanceOf(ServerError);
    expect(attempts).toBe(2);
  });

  it('backs off without Retry-After', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/sessions`, () => {
        attempts++;
        if (attempts === 1) return HttpResponse.json(problem(502, 'internal'), { status: 502 });
        return HttpResponse.json({ items: [], next_cursor: null });
      }),
    );
    await client().listSessions();
    expect(attempts).toBe(2);
  });

  it('does not retry 4xx other than 408, 409 and 429', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => {
        attempts++;
        return HttpResponse.json(problem(404, 'session_not_found'), { status: 404 });
      }),
    );
    await expect(client().getSession(SESSION_ID)).rejects.toBeInstanceOf(NotFoundError);
    expect(attempts).toBe(1);
  });

  it('retries 408 and 409 in flight', async () => {
    const statuses = [408, 409];
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => {
        const status = statuses.shift();
        if (status)
          return HttpResponse.json(problem(status, 'idempotency_conflict'), {
            status,
            headers: { 'Retry-After': '0' },
          });
        return HttpResponse.json(summary());
      }),
    );
    await client().getSession(SESSION_ID);
    expect(statuses).toEqual([]);
  });

  it('keeps one Idempotency-Key across upload retries', async () => {
    const keys: (string | null)[] = [];
    const sizes: number[] = [];
    server.use(
      http.post(`${BASE}/v1/image/:id`, async ({ request }) => {
        keys.push(request.headers.get('idempotency-key'));
        sizes.push(((await request.formData()).get('file') as File).size);
        if (keys.length === 1) return HttpResponse.error();
        if (keys.length === 2)
          return HttpResponse.json(problem(409, 'idempotency_conflict'), {
            status: 409,
            headers: { 'Retry-After': '0' },
          });
        return HttpResponse.json(image(), { status: 201, headers: { 'Idempotent-Replayed': 'true' } });
      }),
    );
    await client().uploadImage(SESSION_ID, jpeg());
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBeTruthy();
    expect(sizes).toEqual([4, 4, 4]);
  });

  it('retries a direct reservation under one Idempotency-Key, then PUTs and completes once', async () => {
    const keys: (string | null)[] = [];
    const calls: string[] = [];
    server.use(
      http.post(`${BASE}/v1/image/:id/upload-url`, ({ request }) => {
        keys.push(request.headers.get('idempotency-key'));
        if (keys.length === 1) return HttpResponse.error();
        return HttpResponse.json(
          {
            image_id: IMAGE_ID,
            upload: {
              method: 'PUT',
              url: `${BASE}/v1/uploads/token-1`,
              headers: { 'content-type': 'image/jpeg' },
              expires_at: new Date(Date.now() + 60_000).toISOString(),
            },
          },
          { status: 201, headers: { 'Idempotent-Replayed': 'true' } },
        );
      }),
      http.put(`${BASE}/v1/uploads/:token`, () => {
        calls.push('put');
        return new HttpResponse(null, { status: 204 });
      }),
      http.post(`${BASE}/v1/image/:id/:image/complete`, () => {
        calls.push('complete');
        return HttpResponse.json(image());
      }),
    );
    await client().uploadImage(SESSION_ID, jpeg(), { direct: true });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect(calls).toEqual(['put', 'complete']);
    // A caller-given key is the one sent (the first attempt fails again, so twice).
    keys.length = 0;
    await client().uploadImage(SESSION_ID, jpeg(), { direct: true, idempotencyKey: 'mine-2' });
    expect(keys).toEqual(['mine-2', 'mine-2']);
  });

  it('uses a caller-given Idempotency-Key', async () => {
    let key: string | null = null;
    server.use(
      http.post(`${BASE}/v1/image/:id`, ({ request }) => {
        key = request.headers.get('idempotency-key');
        return HttpResponse.json(image(), { status: 201 });
      }),
    );
    await client().uploadImage(SESSION_ID, jpeg(), { idempotencyKey: 'my-key-1' });
    expect(key).toBe('my-key-1');
  });

  it('retries connection errors and then throws ConnectionError', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => {
        attempts++;
        return HttpResponse.error();
      }),
    );
    const error = await client(1)
      .getSession(SESSION_ID)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe('connection_error');
    expect((error as ConnectionError).status).toBeUndefined();
    expect(attempts).toBe(2);
  });
});

describe('Retry-After', () => {
  it('honours seconds and exposes them on RateLimitError', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => {
        attempts++;
        return HttpResponse.json(problem(429, 'rate_limited'), {
          status: 429,
          headers: { 'Retry-After': '0' },
        });
      }),
    );
    const error = await client(1)
      .getSession(SESSION_ID)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(0);
    expect(attempts).toBe(2);
  });

  it('honours an HTTP date', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => {
        attempts++;
        if (attempts === 1) {
          return HttpResponse.json(problem(429, 'rate_limited'), {
            status: 429,
            headers: { 'Retry-After': new Date(Date.now() - 1000).toUTCString() },
          });
        }
        return HttpResponse.json(summary());
      }),
    );
    await client().getSession(SESSION_ID);
    expect(attempts).toBe(2);
  });

  it('waits as long as Retry-After says, and an abort cuts the wait short', async () => {
    server.use(
      http.get(`${BASE}/v1/session/:id`, () =>
        HttpResponse.json(problem(429, 'rate_limited'), { status: 429, headers: { 'Retry-After': '30' } }),
      ),
    );
    const controller = new AbortController();
    const pending = client().getSession(SESSION_ID, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(AbortError);
  });
});

describe('error mapping', () => {
  const cases: [number, ErrorCode, new (...args: never[]) => FaceEncodeError][] = [
    [400, 'validation_failed', ValidationError],
    [400, 'too_many_images', TooManyImagesError],
    [400, 'invalid_image', ValidationError],
    [401, 'unauthorized', AuthenticationError],
    [404, 'session_not_found', NotFoundError],
    [409, 'idempotency_conflict', ConflictError],
    [410, 'session_expired', SessionExpiredError],
    [413, 'file_too_large', ValidationError],
    [415, 'unsupported_media_type', ValidationError],
    [422, 'idempotency_conflict', ConflictError],
    [429, 'rate_limited', RateLimitError],
    [500, 'internal', ServerError],
    [503, 'service_unavailable', ServerError],
  ];
  it.each(cases)('%i %s → %o', async (status, code, ErrorClass) => {
    server.use(
      http.post(`${BASE}/v1/image/:id`, () =>
        HttpResponse.json(problem(status, code, 'req-body'), {
          status,
          headers: { 'Content-Type': 'application/problem+json', 'x-request-id': 'req-header' },
        }),
      ),
    );
    const error = await client(0)
      .uploadImage(SESSION_ID, jpeg())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(FaceEncodeError);
    expect(error).toMatchObject({ status, code, requestId: 'req-header', problem: { code, status } });
    expect((error as Error).message).toBe(`problem ${code}`);
  });

  it('TooManyImagesError is a ValidationError', async () => {
    server.use(
      http.post(`${BASE}/v1/image/:id`, () =>
        HttpResponse.json(problem(400, 'too_many_images'), { status: 400 }),
      ),
    );
    const error = await client(0)
      .uploadImage(SESSION_ID, jpeg())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(TooManyImagesError);
  });

  it('falls back to the problem request_id and handles non-problem bodies', async () => {
    server.use(
      http.get(`${BASE}/v1/session/:id`, () =>
        HttpResponse.json(problem(401, 'unauthorized', 'req-77'), { status: 401 }),
      ),
      http.get(`${BASE}/v1/image/:s/:i`, () => new HttpResponse('teapot', { status: 418 })),
    );
    await expect(client().getSession(SESSION_ID)).rejects.toMatchObject({
      requestId: 'req-77',
      name: 'AuthenticationError',
    });
    const error = await client()
      .getImage(SESSION_ID, IMAGE_ID)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FaceEncodeError);
    expect(error).toMatchObject({ status: 418, code: 'unknown', problem: undefined });
  });
});

describe('timeouts and abort', () => {
  it('times out a slow response with TimeoutError', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, async () => {
        attempts++;
        await new Promise((r) => setTimeout(r, 2_000));
        return HttpResponse.json(summary());
      }),
    );
    const c = createFaceEncodeClient({ baseUrl: BASE, maxRetries: 0, timeoutMs: 50 });
    const error = await c.getSession(SESSION_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('timeout');
    expect(attempts).toBe(1);
  });

  it('a per-call timeoutMs overrides the client one', async () => {
    server.use(
      http.get(`${BASE}/v1/sessions`, async () => {
        await new Promise((r) => setTimeout(r, 2_000));
        return HttpResponse.json({ items: [], next_cursor: null });
      }),
    );
    const c = createFaceEncodeClient({ baseUrl: BASE, maxRetries: 0 });
    await expect(c.listSessions({ timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('maps a caller abort to AbortError and does not retry it', async () => {
    let attempts = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, async () => {
        attempts++;
        await new Promise((r) => setTimeout(r, 2_000));
        return HttpResponse.json(summary());
      }),
    );
    const controller = new AbortController();
    const pending = client().getSession(SESSION_ID, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).code).toBe('aborted');
    expect(attempts).toBe(1);
  });

  it('rejects at once when the signal is already aborted', async () => {
    await expect(client().createSession({}, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortError,
    );
  });
});

describe('pagination', () => {
  it('iterateSessions follows next_cursor across pages', async () => {
    const cursors: (string | null)[] = [];
    const pages: Record<string, { items: Session[]; next_cursor: string | null }> = {
      first: { items: [session({ session_id: 'a' }), session({ session_id: 'b' })], next_cursor: 'c2' },
      c2: { items: [session({ session_id: 'c' })], next_cursor: 'c3' },
      c3: { items: [], next_cursor: null },
    };
    server.use(
      http.get(`${BASE}/v1/sessions`, ({ request }) => {
        const url = new URL(request.url);
        cursors.push(url.searchParams.get('cursor'));
        expect(url.searchParams.get('limit')).toBe('2');
        expect(url.searchParams.get('status')).toBe('completed');
        return HttpResponse.json(pages[url.searchParams.get('cursor') ?? 'first']);
      }),
    );
    const ids: string[] = [];
    for await (const s of client().iterateSessions({ limit: 2, status: 'completed' })) ids.push(s.session_id);
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(cursors).toEqual([null, 'c2', 'c3']);
  });
});

describe('waitForSession, encode, compare', () => {
  it('polls with backoff until completed and reports progress on state changes', async () => {
    const states = ['queued', 'queued', 'processing', 'done'] as const;
    let polls = 0;
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => {
        const state = states[Math.min(polls++, states.length - 1)] ?? 'done';
        return HttpResponse.json(
          summary({
            status: state === 'done' ? 'completed' : 'processing',
            images: [image({ status: state })],
          }),
        );
      }),
    );
    const progress: string[] = [];
    const done = await client().waitForSession(SESSION_ID, {
      onProgress: (s) => progress.push(s.images[0]?.status ?? ''),
    });
    expect(done.status).toBe('completed');
    expect(polls).toBe(4);
    expect(progress).toEqual(['queued', 'processing', 'done']);
  });

  it('throws TimeoutError when the session does not complete in time', async () => {
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => HttpResponse.json(summary({ status: 'processing' }))),
    );
    await expect(client().waitForSession(SESSION_ID, { timeoutMs: 300 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
  });

  it('throws AbortError when the caller aborts the wait', async () => {
    server.use(
      http.get(`${BASE}/v1/session/:id`, () => HttpResponse.json(summary({ status: 'processing' }))),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(client().waitForSession(SESSION_ID, { signal: controller.signal })).rejects.toBeInstanceOf(
      AbortError,
    );
  });

  it('encode validates the file count before any request', async () => {
    // onUnhandledRequest: 'error' would fail a request; there are no handlers here.
    const files = Array.from({ length: 6 }, () => jpeg());
    await expect(client().encode(files)).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'too_many_images',
    });
    await expect(client().encode([])).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'validation_failed',
    });
  });

  it('encode creates a session, uploads every file with wait, then waits', async () => {
    const uploads: { name: unknown; wait: string | null }[] = [];
    server.use(
      http.post(`${BASE}/v1/session`, () =>
        HttpResponse.json({ ...session(), webhook_secret: null }, { status: 201 }),
      ),
      http.post(`${BASE}/v1/image/:id`, async ({ request }) => {
        uploads.push({
          name: (await request.formData()).get('image_name'),
          wait: new URL(request.url).searchParams.get('wait'),
        });
        return HttpResponse.json(image({ status: 'done' }), { status: 201 });
      }),
      http.get(`${BASE}/v1/session/:id`, () => HttpResponse.json(summary())),
    );
    const indexes: number[] = [];
    const result = await client().compare(
      { input: jpeg(), imageName: 'one.jpg' },
      new File([jpeg()], 'two.jpg'),
      {
        onUpload: (i) => indexes.push(i),
      },
    );
    expect(result).toMatchObject({ samePerson: true, distance: 0.41, threshold: 0.6 });
    expect(uploads.map((u) => u.name).sort()).toEqual(['one.jpg', 'two.jpg']);
    expect(uploads.every((u) => u.wait === '10')).toBe(true);
    expect(indexes.sort()).toEqual([0, 1]);
  });
});
