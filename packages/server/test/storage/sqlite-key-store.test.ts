import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteKeyStore } from '../../src/storage/sqlite-key-store.js';
import { keyStoreConformance } from './key-store.conformance.js';

keyStoreConformance('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'face-encode-keys-'));
  const keys = new SqliteKeyStore({ path: join(dir, 'collection-keys.db') });
  return {
    keys,
    async cleanup() {
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
