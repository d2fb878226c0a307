// A PostgreSQL schema of its own for each test, so parallel vitest workers (and the processes a
// cluster test spawns) never see each other's rows. The server is the one CI starts: PostgreSQL 15
// on 127.0.0.1:5432 with trust auth, database `test`; FACE_ENCODE_TEST_DATABASE_URL overrides it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migratePostgres } from '../../src/storage/postgres-migrations.js';

export const TEST_DATABASE_URL =
  process.env.FACE_ENCODE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  /** The schema's name, `fe_<random>`. */
  schema: string;
  /** A URL whose connections use the schema (search_path in `options`), for spawned processes. */
  url: string;
  /** A pool on the schema; drop() ends it. */
  pool: pg.Pool;
  /** Another pool on the same schema, as a second process would have; drop() ends it too. */
  newPool(max?: number): pg.Pool;
  /** Ends every pool made here and drops the schema with everything in it. */
  drop(): Promise<void>;
}

export interface TestSchemaOptions {
  /** Run migratePostgres on the new schema. Default false (an empty schema). */
  migrate?: boolean;
  /** Connections of `pool`. Default 10. */
  max?: number;
}

/** Creates `fe_<random>` in the test database and a pool whose search_path is it. */
export async function createTestSchema(options: TestSchemaOptions = {}): Promise<TestSchema> {
  const schema = `fe_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE SCHEMA ${schema}`));
  const url = schemaUrl(schema);
  const pools: pg.Pool[] = [];
  const newPool = (max = 10) => {
    const pool = new pg.Pool({ connectionString: url, max });
    // An idle connection the server drops must not crash the test process.
    pool.on('error', () => {});
    pools.push(pool);
    return pool;
  };
  const pool = newPool(options.max);
  if (options.migrate) await migratePostgres({ pool });
  return {
    schema,
    url,
    pool,
    newPool,
    async drop() {
      await Promise.all(pools.filter((p) => !p.ended).map((p) => p.end()));
      await withAdmin((admin) => admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
}

/** The test database URL with `search_path` set to `schema` through libpq's `options` parameter. */
export function schemaUrl(schema: string, base: string = TEST_DATABASE_URL): string {
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
