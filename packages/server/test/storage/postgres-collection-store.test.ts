import { PostgresCollectionStore } from '../../src/storage/postgres-collection-store.js';
import { createTestSchema } from '../support/postgres.js';
import { collectionStoreConformance } from './collection-store.conformance.js';

collectionStoreConformance('PostgreSQL', async () => {
  const schema = await createTestSchema({ migrate: true });
  return { store: new PostgresCollectionStore({ pool: schema.pool }), cleanup: () => schema.drop() };
});
