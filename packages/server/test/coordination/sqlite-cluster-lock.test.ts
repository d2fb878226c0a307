import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteClusterLock } from '../../src/coordination/sqlite-cluster-lock.js';
import { openSqliteDatabase } from '../../src/storage/sqlite-database.js';
import { clusterLockConformance } from './cluster-lock.conformance.js';

// Two handles on one file stand for two processes sharing the embedded database.
clusterLockConformance('SQLite lease rows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'face-encode-lock-'));
  const path = join(dir, 'face-encode.db');
  const dbs = [openSqliteDatabase({ path }), openSqliteDatabase({ path })] as const;
  return {
    first: new SqliteClusterLock({ db: dbs[0] }),
    second: new SqliteClusterLock({ db: dbs[1] }),
    async cleanup() {
      for (const db of dbs) db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
