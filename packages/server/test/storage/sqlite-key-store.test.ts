import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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

describe('SQLite key store erasure', () => {
  it('leaves no copy of a deleted key in the database file or its WAL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'face-encode-keys-'));
    const path = join(dir, 'collection-keys.db');
    const keys = new SqliteKeyStore({ path });
    try {
      const wrapped = Buffer.alloc(60, 0xa7);
      await keys.put('c-1', wrapped);
      await keys.put('c-2', Buffer.alloc(60, 0x11));
      expect(await keys.delete('c-1')).toBe(true);
      for (const file of [path, `${path}-wal`]) {
        const bytes = existsSync(file) ? await readFile(file) : Buffer.alloc(0);
        expect(bytes.includes(wrapped), `${file} still holds the deleted key`).toBe(false);
      }
      expect(await keys.get('c-2')).toEqual(Buffer.alloc(60, 0x11));
    } finally {
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
