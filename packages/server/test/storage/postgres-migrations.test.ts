import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  POSTGRES_MIGRATIONS_TABLE,
  migratePostgres,
  postgresMigrationsDir,
} from '../../src/storage/postgres-migrations.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';

const SHIPPED = readdirSync(postgresMigrationsDir())
  .filter((f) => f.endsWith('.sql'))
  .map((f) => f.replace(/\.sql$/, ''))
  .sort();

const TABLES = [
  'api_keys',
  'collection_faces',
  'collections',
  'idempotency',
  'images',
  'outbox',
  'sessions',
  'webhooks',
];

async function recorded(db: TestSchema): Promise<string[]> {
  const { rows } = await db.pool.query<{ name: string }>(
    `SELECT name FROM ${POSTGRES_MIGRATIONS_TABLE} ORDER BY id`,
  );
  return rows.map((r) => r.name);
}

async function tables(db: TestSchema): Promise<string[]> {
  const { rows } = await db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> $2 ORDER BY 1`,
    [db.schema, POSTGRES_MIGRATIONS_TABLE],
  );
  return rows.map((r) => r.table_name);
}

describe('migratePostgres', () => {
  const schemas: TestSchema[] = [];
  const schema = async () => {
    const db = await createTestSchema();
    schemas.push(db);
    return db;
  };
  afterEach(async () => {
    await Promise.all(schemas.splice(0).map((s) => s.drop()));
  });

  it('finds the shipped migrations folder from src/ and from a bundled dist/ chunk alike', () => {
    const dir = postgresMigrationsDir();
    expect(dir.endsWith(join('packages', 'server', 'migrations', 'postgres'))).toBe(true);
    expect(SHIPPED.length).toBeGreaterThan(0);
    // tsup puts this module in dist/<chunk>.js: one level below the package root instead of two.
    const fromDist = pathToFileURL(join(dir, '..', '..', 'dist', 'chunk-abc.js')).href;
    expect(postgresMigrationsDir(fromDist)).toBe(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it('creates every table in the connection’s schema and records each migration once', async () => {
    const db = await schema();
    expect(await migratePostgres({ pool: db.pool })).toEqual({ applied: SHIPPED });
    expect(await tables(db)).toEqual(TABLES);
    expect(await recorded(db)).toEqual(SHIPPED);
    // Nothing leaked into public.
    const { rows } = await db.pool.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1`,
      [POSTGRES_MIGRATIONS_TABLE],
    );
    expect(rows).toEqual([]);
  });

  it('does nothing the second time', async () => {
    const db = await schema();
    await migratePostgres({ pool: db.pool });
    expect(await migratePostgres({ pool: db.pool })).toEqual({ applied: [] });
    expect(await migratePostgres({ databaseUrl: db.url })).toEqual({ applied: [] });
    expect(await recorded(db)).toEqual(SHIPPED);
  });

  it('leaves one schema version when two processes migrate at once', async () => {
    const db = await schema();
    const other = db.newPool();
    const results = await Promise.all([
      migratePostgres({ pool: db.pool }),
      migratePostgres({ pool: other }),
      migratePostgres({ databaseUrl: db.url }),
    ]);
    // Exactly one applied everything; the others waited on the lock and found nothing to do.
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, SHIPPED.length]);
    expect(await recorded(db)).toEqual(SHIPPED);
    expect(await tables(db)).toEqual(TABLES);
  });

  it('creates a named schema that does not exist yet, and hands back a pool session untouched', async () => {
    const db = await schema();
    const named = `${db.schema}_named`;
    try {
      expect((await migratePostgres({ pool: db.pool, schema: named })).applied).toEqual(SHIPPED);
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`,
        [named],
      );
      expect(rows[0]?.n).toBe(TABLES.length + 1);
      // The pool's sessions still point at their own schema.
      expect(await tables(db)).toEqual([]);
      const path = await db.pool.query<{ search_path: string }>('SHOW search_path');
      expect(path.rows[0]?.search_path).toBe(db.schema);
    } finally {
      await db.pool.query(`DROP SCHEMA IF EXISTS ${named} CASCADE`);
    }
  });

  it('reports progress through log', async () => {
    const db = await schema();
    const lines: string[] = [];
    await migratePostgres({ pool: db.pool, log: (line) => lines.push(line) });
    expect(lines.join('\n')).toContain(SHIPPED[0]);
  });
});
