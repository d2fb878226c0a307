import { afterEach, describe, expect, it } from 'vitest';
import { PostgresClusterLock } from '../../src/coordination/postgres-cluster-lock.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { clusterLockConformance } from './cluster-lock.conformance.js';

// Two pools stand for two processes: advisory locks belong to connections, not to pools.
clusterLockConformance('PostgreSQL advisory locks', async () => {
  const db = await createTestSchema();
  return {
    first: new PostgresClusterLock({ pool: db.pool }),
    second: new PostgresClusterLock({ pool: db.newPool() }),
    cleanup: () => db.drop(),
  };
});

describe('PostgresClusterLock specifics', () => {
  const schemas: TestSchema[] = [];
  afterEach(async () => {
    await Promise.all(schemas.splice(0).map((s) => s.drop()));
  });
  const schema = async () => {
    const db = await createTestSchema();
    schemas.push(db);
    return db;
  };

  it('scopes locks by schema, so deployments sharing a database do not exclude each other', async () => {
    const [a, b] = [await schema(), await schema()];
    const lockA = new PostgresClusterLock({ pool: a.pool });
    const lockB = new PostgresClusterLock({ pool: b.pool });
    const inner = await lockA.tryWithLock('cleanup', () => lockB.tryWithLock('cleanup', async () => 'b ran'));
    expect(inner).toEqual({ ran: true, value: { ran: true, value: 'b ran' } });
  });

  it('frees the lock when the holding connection dies', async () => {
    const db = await schema();
    // One connection only, so the lock is taken on the backend whose pid is read here.
    const victim = db.newPool(1);
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid;
    const lock = new PostgresClusterLock({ pool: victim });
    const other = new PostgresClusterLock({ pool: db.pool });
    const outcome = lock.tryWithLock('relay', async () => {
      expect(await other.tryWithLock('relay', async () => 'too early')).toEqual({ ran: false });
      // Kill the holding backend from outside, as a crashed host would drop it.
      await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((r) => setTimeout(r, 100));
      return other.tryWithLock('relay', async () => 'taken over');
    });
    expect(await outcome).toEqual({ ran: true, value: { ran: true, value: 'taken over' } });
    // The pool dropped the broken connection and hands out a working one.
    expect(await lock.tryWithLock('relay', async () => 'fresh')).toEqual({ ran: true, value: 'fresh' });
  });

  it('returns every connection to the pool', async () => {
    const db = await schema();
    const lock = new PostgresClusterLock({ pool: db.pool });
    await lock.tryWithLock('a', async () => 1);
    await lock
      .tryWithLock('a', async () => {
        throw new Error('x');
      })
      .catch(() => {});
    const held = lock.tryWithLock('b', async () => lock.tryWithLock('b', async () => 2));
    expect(await held).toEqual({ ran: true, value: { ran: false } });
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
  });
});
