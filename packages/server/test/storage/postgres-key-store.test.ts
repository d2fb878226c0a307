import { PostgresKeyStore } from '../../src/storage/postgres-key-store.js';
import { createTestSchema } from '../support/postgres.js';
import { keyStoreConformance } from './key-store.conformance.js';

keyStoreConformance('PostgreSQL', async () => {
  // An empty schema: the key store creates its own table, as in a key database of its own.
  const schema = await createTestSchema();
  return { keys: new PostgresKeyStore({ pool: schema.pool }), cleanup: () => schema.drop() };
});
