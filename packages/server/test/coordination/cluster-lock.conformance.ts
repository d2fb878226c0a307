// The behaviour every ClusterLock adapter must have. An adapter's test file calls
// `clusterLockConformance(name, factory)`; the factory gives each test two locks on one fresh
// backing store, standing for two processes of a deployment.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterLock } from '../../src/coordination/cluster-lock.js';

export interface ClusterLockFixture {
  /** The lock as one process holds it. */
  first: ClusterLock;
  /** The same lock as another process holds it (its own connection or handle). */
  second: ClusterLock;
  cleanup(): Promise<void>;
}

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Starts `first` holding `name` until the returned gate opens; resolves once it holds it. */
async function hold(lock: ClusterLock, name: string) {
  const entered = gate();
  const leave = gate();
  const result = lock.tryWithLock(name, async () => {
    entered.open();
    await leave.promise;
    return 'held';
  });
  await Promise.race([entered.promise, result]);
  return { result, release: leave.open };
}

export function clusterLockConformance(name: string, factory: () => Promise<ClusterLockFixture>): void {
  describe(`ClusterLock conformance: ${name}`, () => {
    let fixture: ClusterLockFixture;

    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('runs fn when the lock is free and returns its value', async () => {
      expect(await fixture.first.tryWithLock('cleanup', async () => 42)).toEqual({ ran: true, value: 42 });
      // Released after the run: the other process gets it next.
      expect(await fixture.second.tryWithLock('cleanup', async () => 'next')).toEqual({
        ran: true,
        value: 'next',
      });
    });

    it('does not run fn, and does not wait, while another holder runs', async () => {
      const held = await hold(fixture.first, 'relay');
      let ran = false;
      // Resolves while the holder is still inside fn: tryWithLock never waits for the lock.
      expect(
        await fixture.second.tryWithLock('relay', async () => {
          ran = true;
        }),
      ).toEqual({ ran: false });
      expect(ran).toBe(false);
      held.release();
      expect(await held.result).toEqual({ ran: true, value: 'held' });
      expect(await fixture.second.tryWithLock('relay', async () => 'after')).toEqual({
        ran: true,
        value: 'after',
      });
    });

    it('releases the lock when fn throws, and passes the error on', async () => {
      await expect(
        fixture.first.tryWithLock('cleanup', async () => {
          throw new Error('duty failed');
        }),
      ).rejects.toThrow('duty failed');
      expect(await fixture.second.tryWithLock('cleanup', async () => 'recovered')).toEqual({
        ran: true,
        value: 'recovered',
      });
    });

    it('keeps different names independent', async () => {
      const held = await hold(fixture.first, 'cleanup');
      expect(await fixture.second.tryWithLock('relay', async () => 'other')).toEqual({
        ran: true,
        value: 'other',
      });
      expect(await fixture.second.tryWithLock('cleanup', async () => 'same')).toEqual({ ran: false });
      held.release();
      await held.result;
    });

    it('lets exactly one of many simultaneous attempts run', async () => {
      const locks = [fixture.first, fixture.second];
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (locks[i % 2] as ClusterLock).tryWithLock('relay', async () => {
            // Long enough that every attempt starts while the winner is inside.
            await new Promise((r) => setTimeout(r, 200));
            return i;
          }),
        ),
      );
      expect(results.filter((r) => r.ran)).toHaveLength(1);
    });
  });
}
