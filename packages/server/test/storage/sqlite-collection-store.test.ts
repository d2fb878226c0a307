import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCollectionStore } from '../../src/storage/sqlite-collection-store.js';
import { openSqliteDatabase } from '../../src/storage/sqlite-database.js';
import { collectionStoreConformance } from './collection-store.conformance.js';

collectionStoreConformance('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'face-encode-coll-'));
  const db = openSqliteDatabase({ path: join(dir, 'face-encode.db') });
  return {
    store: new SqliteCollectionStore({ db }),
    async cleanup() {
      db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
