// A PostgreSQL schema and a Redis key prefix made fresh for a local cluster. The cluster's S3 store is a memstore
// radosgw that starts empty, so rows or jobs left from an earlier run would point at blobs that no longer exist.
import { Redis } from 'ioredis';
import pg from 'pg';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** `databaseUrl` with every connection's search_path set to `schema` (libpq's `options` parameter). */
export function schemaUrl(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

/** Drops `schema` with everything in it, and creates it empty unless `recreate` is false. */
export async function resetSchema(o: {
  databaseUrl: string;
  schema: string;
  recreate: boolean;
}): Promise<void> {
  // The name goes into SQL as an identifier, which cannot be a bound parameter.
  if (!SCHEMA_NAME.test(o.schema)) throw new Error(`Not a plain schema name: "${o.schema}" (a-z, 0-9, _).`);
  const client = new pg.Client({ connectionString: o.databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${o.schema} CASCADE`);
    if (o.recreate) await client.query(`CREATE SCHEMA ${o.schema}`);
  } finally {
    await client.end();
  }
}

/** Deletes every key under `<prefix>:`, with SCAN (never KEYS, which blocks a shared Redis). */
export async function deleteRedisPrefix(o: { redisUrl: string; prefix: string }): Promise<void> {
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${o.prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
