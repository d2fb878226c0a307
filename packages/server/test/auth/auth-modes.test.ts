import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

describe('api-key auth (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ auth: 'api-key' });
  });
  afterAll(() => server.dispose());

  it('accepts a created key as Bearer, and the key acts as its user', async () => {
    const key = await server.createApiKey('alice');
    expect(key).toMatch(/^fe_/);
    const created = await server.call('/v1/session', {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(created.status).toBe(201);
    const other = await server.createApiKey('bob');
    const { session_id } = (await created.json()) as { session_id: string };
    expect((await server.call(`/v1/session/${session_id}`, { key: other })).status).toBe(404);
  });

  it('stores only a hash of the key', async () => {
    const key = await server.createApiKey('carol');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(`${server.dataDir}/face-encode.db`, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM api_keys').all();
      expect(JSON.stringify(rows)).not.toContain(key);
    } finally {
      db.close();
    }
  });

  it('refuses a missing, unknown or revoked key, a demo user_id header, and a key in the query string', async () => {
    const key = await server.createApiKey('dave');
    for (const init of [{}, { key: 'fe_not-a-key' }, { user: 'dave' }]) {
      const res = await server.call('/v1/sessions', init);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect((await server.call(`/v1/sessions?api_key=${key}`)).status).toBe(401);
    const [record] = (await server.store.listApiKeys()).filter((k) => k.userId === 'dave');
    await server.store.revokeApiKey(record!.id);
    expect((await server.call('/v1/sessions', { key })).status).toBe(401);
  });
});

describe('jwt auth with a shared secret', () => {
  const secret = 'a-shared-secret-of-enough-length-for-hs256';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ auth: 'jwt', jwtSecret: secret, jwtIssuer: 'https://id.example' });
  });
  afterAll(() => server.dispose());

  const token = (claims: { sub?: string; iss?: string; exp?: string | null; iat?: number }, key = secret) => {
    let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(claims.iat);
    if (claims.exp !== null) jwt = jwt.setExpirationTime(claims.exp ?? '5m');
    if (claims.sub) jwt = jwt.setSubject(claims.sub);
    jwt = jwt.setIssuer(claims.iss ?? 'https://id.example');
    return jwt.sign(new TextEncoder().encode(key));
  };

  it('takes the user from sub', async () => {
    const res = await server.call('/v1/sessions', { key: await token({ sub: 'erin' }) });
    expect(res.status).toBe(200);
  });

  it('allows a little clock skew on iat', async () => {
    const key = await token({ sub: 'erin', iat: Math.floor(Date.now() / 1000) + 10 });
    expect((await server.call('/v1/sessions', { key })).status).toBe(200);
  });

  it('refuses to start with a shared secret under 32 bytes', async () => {
    await expect(startTestServer({ auth: 'jwt', jwtSecret: 'x' })).rejects.toThrow(/at least 32 bytes/);
  });

  it.each([
    ['a wrong signature', () => token({ sub: 'erin' }, 'another-secret-of-enough-length-for-hs256')],
    ['a wrong issuer', () => token({ sub: 'erin', iss: 'https://evil.example' })],
    ['no sub', () => token({})],
    ['an expired token', () => token({ sub: 'erin', exp: '-1m' })],
    ['a token without exp', () => token({ sub: 'erin', exp: null })],
    ['an iat beyond the clock skew', () => token({ sub: 'erin', iat: Math.floor(Date.now() / 1000) + 300 })],
    [
      'a token older than the max age',
      () => token({ sub: 'erin', iat: Math.floor(Date.now() / 1000) - 2 * 86_400, exp: '5m' }),
    ],
  ])('refuses %s', async (_name, make) => {
    expect((await server.call('/v1/sessions', { key: await make() })).status).toBe(401);
  });
});

describe('demo auth', () => {
  it('is refused on a non-loopback bind without --insecure-demo-auth', async () => {
    const run = promisify(execFile);
    const result = await run(process.execPath, [
      bin,
      'start',
      '--auth',
      'demo',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--workers',
      '0',
    ]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Refusing demo auth on 0\.0\.0\.0/);
  });
});

describe('auth none', () => {
  it('is refused by the session server: only the stateless encoder runs without credentials', async () => {
    await expect(startTestServer({ auth: 'none' })).rejects.toThrow(/face-encode-server encoder/);
  });
});
