import pg from 'pg';

/** A pool or a checked-out client: anything the store's statements can run on. */
export type Queryable = pg.Pool | pg.PoolClient;

const INT8_OID = 20;

/**
 * bigint columns (epoch-ms times, COUNT(*)) come back as strings by default, since int8 can exceed
 * 2^53. Every value the store keeps in one fits, so parse them to numbers, per query rather than
 * through pg's global parser table, which other users of pg in the process share.
 */
const STORE_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** Runs one parameterised statement; values are never spliced into the text. */
export async function query<R extends pg.QueryResultRow>(
  db: Queryable,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  return db.query<R>({ text, values, types: STORE_TYPES });
}

/**
 * Runs `fn` in one READ COMMITTED transaction on a client of its own; rolls back when it throws.
 * Correctness under concurrency comes from the row locks the statements take (FOR UPDATE), not
 * from the isolation level.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no error listener; a connection dropping between two statements would
  // otherwise be an unhandled 'error' event. The next statement fails and rolls back instead.
  const onError = () => {};
  client.on('error', onError);
  const release = (destroy?: boolean) => {
    client.off('error', onError);
    client.release(destroy);
  };
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    release();
    return result;
  } catch (error) {
    // A connection that cannot even roll back is broken: destroy it instead of pooling it.
    await client.query('ROLLBACK').then(
      () => release(),
      () => release(true),
    );
    throw error;
  }
}

/** The one row an INSERT/UPDATE ... RETURNING must produce. */
export function firstRow<R>(rows: R[]): R {
  const row = rows[0];
  if (row === undefined) throw new Error('Expected the statement to return a row.');
  return row;
}
