import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ auth: 'api-key', authFailureMax: 5 });
});
afterAll(() => server.dispose());

describe('failed logins', () => {
  it('are counted per address and answered 429 with Retry-After, before a key is checked', async () => {
    const good = await server.createApiKey('eve');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await server.call('/v1/sessions', { key: `fe_wrong_${i}` });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);

    // The address is throttled as a whole: guessing from it stops, whatever key it sends next.
    const res = await server.call('/v1/sessions', { key: good });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { code: string }).code).toBe('rate_limited');
    expect((await server.call('/healthz')).status).toBe(200);
  });
});
