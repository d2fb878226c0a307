import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

/** Where to migrate: a URL (a connection of its own, closed after) or a pool to borrow one from. */
export type PostgresTarget = { databaseUrl: string } | { pool: pg.Pool };

export type MigratePostgresOptions = PostgresTarget & {
  /** Schema that holds the tables; created if missing. Default: the connection's current schema (first existing search_path entry), else `public`. */
  schema?: string;
  /** Receives node-pg-migrate's progress lines. Default: silent. */
  log?: (message: string) => void;
};

export interface MigratePostgresResult {
  /** Names of the migrations this call applied, in order; empty when the schema was up to date. */
  applied: string[];
}

/** The bookkeeping table node-pg-migrate keeps inside the migrated schema. */
export const POSTGRES_MIGRATIONS_TABLE = 'face_encode_migrations';

const PACKAGE_NAME = '@face-encode/server';

/**
 * The shipped migrations folder. tsup bundles this module into a dist/ chunk, so no fixed relative
 * path holds in both src/ and dist/: walk up to the server package's own package.json instead.
 */
export function postgresMigrationsDir(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME)
      return join(dir, 'migrations', 'postgres');
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`migrations/postgres not found: no ${PACKAGE_NAME} package.json above ${from}`);
    dir = parent;
  }
}

function readPackageName(manifest: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/**
 * Brings the schema up to the newest migration. Safe to run from several processes at once: they
 * queue on an advisory lock (node-pg-migrate's, in wait mode) and the later ones find nothing to do.
 * The lock key is derived from the schema, so deployments in other schemas of the database do not wait.
 */
export async function migratePostgres(options: MigratePostgresOptions): Promise<MigratePostgresResult> {
  const { client, done } = await openClient(options);
  try {
    const schema = options.schema ?? (await currentSchema(client));
    const log = options.log ?? (() => {});
    const ran = await runner({
      dbClient: client,
      dir: postgresMigrationsDir(),
      direction: 'up',
      schema,
      createSchema: true,
      migrationsTable: POSTGRES_MIGRATIONS_TABLE,
      singleTransaction: true,
      checkOrder: true,
      advisoryLockMode: 'wait',
      lockValue: migrationLockKey(schema),
      logger: { info: log, warn: log, error: log },
    });
    return { applied: ran.map((m) => m.name) };
  } finally {
    await done();
  }
}

interface OpenedClient {
  client: pg.ClientBase;
  done(): Promise<void>;
}

async function openClient(target: PostgresTarget): Promise<OpenedClient> {
  if ('pool' in target) {
    const client = await target.pool.connect();
    // A dropped connection fails the next statement; without a listener it would also be an
    // unhandled 'error' event on this checked-out client.
    const onError = () => {};
    client.on('error', onError);
    // The runner sets search_path on the session; discard the connection rather than hand a
    // session with altered settings back to the pool.
    const done = async () => {
      client.off('error', onError);
      client.release(true);
    };
    return { client, done };
  }
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  return { client, done: () => client.end() };
}

async function currentSchema(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  return rows[0]?.schema ?? 'public';
}

/** A stable advisory-lock key per schema, within JavaScript's safe integers (the runner inlines it). */
export function migrationLockKey(schema: string): number {
  const digest = createHash('sha256').update(`face-encode:migrate:${schema}`).digest();
  return digest.readUIntBE(0, 6);
}
