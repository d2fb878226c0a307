import { afterAll, beforeAll, expect, it } from 'vitest';
import { openApiSpec } from '../support/spec-validator.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Authentication and the rate limit are route hooks on every operation the document does not mark
// `security: []`, for every method Fastify serves it on (HEAD included); public operations run neither.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ rateLimitMax: 1000, authFailureMax: 1000 });
});
afterAll(() => server.dispose());

type Operation = { security?: unknown[] };
const paths = openApiSpec.paths as Record<string, Record<string, Operation>>;
const isPublic = (url: string, method: string) => {
  const item = paths[url.replace(/:(\w+)/g, '{$1}')] ?? {};
  const operation = item[method.toLowerCase()] ?? item.get;
  return Array.isArray(operation?.security) && operation.security.length === 0;
};
const concrete = (url: string) => url.replace(/:(\w+)/g, 'x-$1');
const routes = () => server.app.routeList.filter((r) => r.method !== 'OPTIONS');

it('answers 401 without credentials on every guarded operation, HEAD included', async () => {
  const guarded = routes().filter((r) => !isPublic(r.url, r.method));
  expect(guarded.some((r) => r.method === 'HEAD')).toBe(true);
  for (const r of guarded) {
    const res = await server.call(concrete(r.url), { method: r.method });
    await res.arrayBuffer();
    expect({ route: `${r.method} ${r.url}`, status: res.status }).toEqual({
      route: `${r.method} ${r.url}`,
      status: 401,
    });
  }
});

it('counts each guarded request once, and public operations not at all', async () => {
  const limits: Array<string | null> = [];
  for (const method of ['GET', 'HEAD', 'GET']) {
    const res = await server.call('/v1/sessions', { method, user: 'counted' });
    await res.arrayBuffer();
    limits.push(res.headers.get('ratelimit'));
  }
  expect(limits.map((l) => l?.match(/remaining=(\d+)/)?.[1])).toEqual(['999', '998', '997']);
  for (const r of routes().filter((r) => isPublic(r.url, r.method) && r.method === 'GET')) {
    const res = await server.call(concrete(r.url), { user: 'counted' });
    await res.arrayBuffer();
    expect({ route: r.url, ratelimit: res.headers.get('ratelimit') }).toEqual({
      route: r.url,
      ratelimit: null,
    });
  }
});
