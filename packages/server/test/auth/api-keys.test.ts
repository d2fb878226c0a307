import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.js';
import { openEngines, type Engines } from '../../src/engines.js';
import { resolveConfig } from '../../src/config.js';

let engines: Engines;
const dataDir = mkdtempSync(join(tmpdir(), 'face-encode-keys-'));
beforeAll(async () => {
  engines = await openEngines(resolveConfig({ dataDir }));
  await engines.migrate();
});
afterAll(async () => {
  await engines?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('createApiKey', () => {
  it.each(['', 'has space', 'x'.repeat(129)])(
    'makes no key for the user id %j, which no request could name',
    async (user) => {
      await expect(createApiKey(engines.store, user)).rejects.toThrow('A user id is 1 to 128 letters');
      expect(await engines.store.listApiKeys()).toEqual([]);
    },
  );

  it('makes one for a user id a request can name', async () => {
    const { record } = await createApiKey(engines.store, 'alice@example.com');
    expect(record.userId).toBe('alice@example.com');
  });
});
