/** forEachLimited against a model: the limit holds, every item runs once, and a failure settles only after the running calls. */
import t from 'tap';
import fc from 'fast-check';
import { forEachLimited } from '../../src/repo/for-each-limited.js';

interface Item {
  readonly ticks: number;
  readonly fails: boolean;
}

/** A call per item that takes `ticks` microtasks and fails where `fails` says, counting what runs at once. */
function calls(items: readonly Item[]): { run: (i: number) => Promise<void>; running: number; most: number; started: number[] } {
  const c = {
    running: 0,
    most: 0,
    started: [] as number[],
    run: async (i: number): Promise<void> => {
      c.started.push(i);
      c.most = Math.max(c.most, ++c.running);
      for (let k = 0; k < (items[i]?.ticks ?? 0); k++) await Promise.resolve();
      c.running--;
      if (items[i]?.fails) throw new Error(`item ${i}`);
    },
  };
  return c;
}

t.test('limit, each item once, first failure after every running call ended', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.record({ ticks: fc.integer({ min: 0, max: 3 }), fails: fc.boolean() }), { maxLength: 25 }),
      async (limit, items) => {
        const c = calls(items);
        const indexes = items.map((_, i) => i);
        const outcome = await forEachLimited(indexes, limit, c.run).then(
          () => undefined,
          (err: unknown) => err as Error,
        );
        if (c.running !== 0) throw new Error('settled while a call was running');
        if (c.most > limit) throw new Error(`${c.most} in flight, limit ${limit}`);
        if (new Set(c.started).size !== c.started.length) throw new Error('an item ran twice');
        const failed = c.started.filter((i) => items[i]?.fails);
        if (failed.length === 0) {
          if (outcome) throw outcome;
          if (c.started.length !== items.length) throw new Error('an item was skipped');
        } else if (!outcome || !/^item \d+$/.test(outcome.message)) throw new Error('the failure was not passed on');
      },
    ),
    { numRuns: 400 },
  );
  t.pass('400 random runs');
});
