import { afterEach, beforeEach, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../src/storage/postgres-database.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { createSession } from './metadata-store.conformance.js';

let schema: TestSchema;
beforeEach(async () => {
  schema = await createTestSchema();
});
afterEach(async () => {
  await schema.drop();
});

it('opens the store and lock from a URL, migrating the schema its search_path names', async () => {
  const db = openPostgresDatabase({ databaseUrl: schema.url, maxConnections: 3 });
  try {
    expect((await db.migrate()).applied.length).toBeGreaterThan(0);
    expect((await db.migrate()).applied).toEqual([]);
    await db.store.ping();
    const session = await createSession(db.store);
    // The rows went to the test schema, where another pool on the same URL finds them.
    const { rows } = await schema.pool.query('SELECT id FROM sessions');
    expect(rows).toEqual([{ id: session.id }]);
    expect(await db.lock.tryWithLock('cleanup', async () => 'ran')).toEqual({ ran: true, value: 'ran' });
  } finally {
    await db.close();
    await db.close();
  }
  expect(db.pool.ended).toBe(true);
});

it('fails a query clearly when the server cannot be reached', async () => {
  const db = openPostgresDatabase({
    databaseUrl: 'postgres://postgres@127.0.0.1:1/test',
    connectionTimeoutMs: 2000,
  });
  try {
    await expect(db.store.ping()).rejects.toThrow(/ECONNREFUSED|connect/);
  } finally {
    await db.close();
  }
});
