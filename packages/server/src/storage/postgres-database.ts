import pg from 'pg';
import { PostgresClusterLock } from '../coordination/postgres-cluster-lock.js';
import { PostgresMetadataStore } from './postgres-metadata-store.js';
import { migratePostgres, type MigratePostgresResult } from './postgres-migrations.js';

export interface PostgresDatabaseOptions {
  /** postgres:// URL. Its `options` parameter may set search_path to pick the schema (default public). Required. */
  databaseUrl: string;
  /** Most connections this process opens. Default 10. */
  maxConnections?: number;
  /** How long a query waits for a free connection, or a new one to open, before failing (ms). Default 10 000. */
  connectionTimeoutMs?: number;
  /** Told of errors on idle connections (the server restarting). Default: ignored, since the next query fails and reports. */
  onIdleError?: (error: Error) => void;
}

/** One process's PostgreSQL engines on one pool: the metadata store and the cluster lock. */
export interface PostgresDatabase {
  pool: pg.Pool;
  store: PostgresMetadataStore;
  lock: PostgresClusterLock;
  /** Applies pending migrations to the URL's schema; safe while other processes do the same. */
  migrate(log?: (message: string) => void): Promise<MigratePostgresResult>;
  /** Ends the pool (the store and lock do not own it). */
  close(): Promise<void>;
}

/** Creates the pool from the URL; connects lazily, on the first query. */
export function openPostgresDatabase(options: PostgresDatabaseOptions): PostgresDatabase {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
  });
  // Without a listener, an idle connection's error would be an unhandled 'error' event.
  pool.on('error', (error) => options.onIdleError?.(error));
  let ended = false;
  return {
    pool,
    store: new PostgresMetadataStore({ pool }),
    lock: new PostgresClusterLock({ pool }),
    migrate: (log) => migratePostgres({ pool, ...(log ? { log } : {}) }),
    async close() {
      if (ended) return;
      ended = true;
      await pool.end();
    },
  };
}
