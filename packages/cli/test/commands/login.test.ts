import { statSync } from 'node:fs';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHome, json } from '../helpers/cli.js';
import { FaultServer } from '../helpers/fault-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let key: string;
let fault: FaultServer;

beforeAll(async () => {
  server = await startTestServer({ auth: 'api-key' });
  key = await server.server.createApiKey('alice');
  fault = await FaultServer.start('error-500');
});
afterAll(async () => {
  await server?.close();
  await fault?.close();
});

describe('login, logout and profiles', () => {
  it('checks the key, saves it with mode 0600, and later commands use the profile', async () => {
    const home = new CliHome();
    try {
      const r = await home.run(['login', '--url', server.url, '--api-key', key, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(json(r)).toEqual({
        profile: 'default',
        url: server.url,
        auth: 'api-key',
        config_path: home.configFile,
      });
      expect(statSync(home.configFile).mode & 0o777).toBe(0o600);

      const list = await home.run(['session', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);

      const config = json<{ values: { url: string; api_key: string } }>(
        await home.run(['config', 'list', '--json']),
      );
      expect(config.values.url).toBe(server.url);
      expect(config.values.api_key).not.toBe(key); // masked
      expect((await home.run(['config', 'get', 'api-key'])).stdout).toBe(`${key}\n`);

      const out = await home.run(['logout', '--json']);
      expect(json(out)).toEqual({ profile: 'default', removed: true });
      const after = await home.run(['session', 'list', '--url', server.url]);
      expect(after.code).toBe(3);
      expect(after.stderr).toContain('face-encode login');
    } finally {
      home.close();
    }
  });

  it('refuses a wrong key with exit 3 and saves nothing', async () => {
    const home = new CliHome();
    try {
      const r = await home.run(['login', '--url', server.url, '--api-key', 'fe_wrong_key']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^Error: .+\nHint: .+\n$/);
      const config = json<{ values: { url: string | null } }>(await home.run(['config', 'list', '--json']));
      expect(config.values.url).toBeNull();
    } finally {
      home.close();
    }
  });

  it('needs a key (exit 2)', async () => {
    const home = new CliHome();
    try {
      expect((await home.run(['login', '--url', server.url])).code).toBe(2);
    } finally {
      home.close();
    }
  });

  it('keeps named profiles apart (--profile and FACE_ENCODE_PROFILE)', async () => {
    const home = new CliHome();
    try {
      expect(
        (await home.run(['login', '--profile', 'staging', '--url', server.url, '--api-key', key])).code,
      ).toBe(0);
      expect((await home.run(['session', 'list', '--profile', 'staging'])).code).toBe(0);
      expect((await home.run(['session', 'list'], { env: { FACE_ENCODE_PROFILE: 'staging' } })).code).toBe(0);
      // The default profile has no key and the default URL has no server.
      expect((await home.run(['session', 'list', '--url', server.url])).code).toBe(3);
    } finally {
      home.close();
    }
  });

  it('applies flag > env > profile for the URL and the key', async () => {
    const home = new CliHome();
    try {
      expect((await home.run(['login', '--url', server.url, '--api-key', key])).code).toBe(0);
      // env beats the profile: a failing server, and a wrong key.
      expect((await home.run(['session', 'list'], { env: { FACE_ENCODE_URL: fault.url } })).code).toBe(7);
      expect((await home.run(['session', 'list'], { env: { FACE_ENCODE_API_KEY: 'fe_wrong' } })).code).toBe(
        3,
      );
      // flags beat env.
      expect(
        (await home.run(['session', 'list', '--url', server.url], { env: { FACE_ENCODE_URL: fault.url } }))
          .code,
      ).toBe(0);
      expect(
        (await home.run(['session', 'list', '--api-key', key], { env: { FACE_ENCODE_API_KEY: 'fe_wrong' } }))
          .code,
      ).toBe(0);
    } finally {
      home.close();
    }
  });

  it('stores the config under FACE_ENCODE_CONFIG_DIR when set', async () => {
    const home = new CliHome();
    const dir = mkdtempSync(join(tmpdir(), 'face-encode-config-dir-'));
    try {
      const r = await home.run(['config', 'set', 'user-id', 'bob', '--json'], {
        env: { FACE_ENCODE_CONFIG_DIR: dir },
      });
      expect(json(r)).toEqual({ profile: 'default', key: 'user-id', value: 'bob' });
      expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
      expect(existsSync(home.configFile)).toBe(false);
    } finally {
      home.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config get|set|list', () => {
  it('sets, gets and lists values; unknown keys are usage errors; unset keys fail', async () => {
    const home = new CliHome();
    try {
      expect((await home.run(['config', 'set', 'url', 'https://faces.example.com/'])).code).toBe(0);
      expect((await home.run(['config', 'get', 'url'])).stdout).toBe('https://faces.example.com\n');
      expect(json(await home.run(['config', 'get', 'url', '--json']))).toEqual({
        profile: 'default',
        key: 'url',
        value: 'https://faces.example.com',
      });
      expect((await home.run(['config', 'set', 'url', 'not a url'])).code).toBe(2);
      expect((await home.run(['config', 'set', 'colour', 'red'])).code).toBe(2);
      expect((await home.run(['config', 'get', 'user-id'])).code).toBe(1);
      const list = json<{
        profile: string;
        path: string;
        values: Record<string, unknown>;
        effective_url: string;
      }>(await home.run(['config', 'list', '--json']));
      expect(list).toEqual({
        profile: 'default',
        path: home.configFile,
        profiles: ['default'],
        values: { url: 'https://faces.example.com', api_key: null, user_id: null },
        effective_url: 'https://faces.example.com',
      });
      const human = await home.run(['config', 'list']);
      expect(human.stdout).toContain('Effective URL: https://faces.example.com (from profile)');
    } finally {
      home.close();
    }
  });
});
