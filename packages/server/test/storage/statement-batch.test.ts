import { expect, it } from 'vitest';
import { StatementBatch } from '../../src/storage/statement-batch.js';

/** A store of numbers that refuses duplicates, as a table with a primary key would, logging each statement. */
function table() {
  const rows = new Set<number>();
  const statements: number[][] = [];
  const insert = (items: number[]) => {
    if (items.some((n) => rows.has(n)) || new Set(items).size < items.length)
      throw new Error('duplicate key');
    for (const n of items) rows.add(n);
  };
  return {
    rows,
    statements,
    batch: (maxItems?: number, retryAlone?: (error: unknown) => boolean) =>
      new StatementBatch<number, string>({
        all: async (items) => {
          statements.push(items);
          insert(items);
          return items.map((n) => `row ${n}`);
        },
        one: async (n) => {
          statements.push([n]);
          insert([n]);
          return `row ${n}`;
        },
        maxItems,
        retryAlone,
      }),
  };
}

it('sends the writes of one turn as one statement, each caller getting its own result', async () => {
  const t = table();
  const batch = t.batch();
  const results = await Promise.all([1, 2, 3, 4].map((n) => batch.run(n)));
  expect(results).toEqual(['row 1', 'row 2', 'row 3', 'row 4']);
  expect(t.statements).toEqual([[1, 2, 3, 4]]);
  // A later turn is a statement of its own.
  expect(await batch.run(5)).toBe('row 5');
  expect(t.statements).toEqual([[1, 2, 3, 4], [5]]);
});

it('writes the items of a failed batch one by one, so only the one at fault is rejected', async () => {
  const t = table();
  t.rows.add(2);
  const batch = t.batch();
  const results = await Promise.allSettled([1, 2, 3].map((n) => batch.run(n)));
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'duplicate key' });
  expect([...t.rows].sort()).toEqual([1, 2, 3]);
  expect(t.statements).toEqual([[1, 2, 3], [1], [2], [3]]);
});

it('splits a turn into statements of at most maxItems', async () => {
  const t = table();
  const batch = t.batch(2);
  await Promise.all([1, 2, 3, 4, 5].map((n) => batch.run(n)));
  expect(t.statements).toEqual([[1, 2], [3, 4], [5]]);
});

it('rejects the whole batch at once when its error is not worth retrying item by item', async () => {
  const t = table();
  t.rows.add(2);
  const batch = t.batch(undefined, () => false);
  const results = await Promise.allSettled([1, 2, 3].map((n) => batch.run(n)));
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  expect(t.statements).toEqual([[1, 2, 3]]);
  expect([...t.rows]).toEqual([2]);
});
