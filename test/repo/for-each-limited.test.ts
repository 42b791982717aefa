/** forEachLimited against a model: the limit holds, every item runs once, and a failure settles only after the running calls. */
import t from 'tap';
import fc from 'fast-check';
import { forEachLimited } from '../../src/repo/for-each-limited.js';

t.test('limit, each item once, first failure after every running call ended', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.record({ ticks: fc.integer({ min: 0, max: 3 }), fails: fc.boolean() }), { maxLength: 25 }),
      async (limit, items) => {
        let running = 0;
        let most = 0;
        const started: number[] = [];
        const run = async (i: number): Promise<void> => {
          started.push(i);
          most = Math.max(most, ++running);
          for (let k = 0; k < (items[i]?.ticks ?? 0); k++) await Promise.resolve();
          running--;
          if (items[i]?.fails) throw new Error(`item ${i}`);
        };
        const indexes = items.map((_, i) => i);
        const outcome = await forEachLimited(indexes, limit, run).then(
          () => undefined,
          (err: unknown) => err as Error,
        );
        if (running !== 0) throw new Error('settled while a call was running');
        if (most > limit) throw new Error(`${most} in flight, limit ${limit}`);
        if (new Set(started).size !== started.length) throw new Error('an item ran twice');
        const failed = started.filter((i) => items[i]?.fails);
        if (failed.length === 0) {
          if (outcome) throw outcome;
          if (started.length !== items.length) throw new Error('an item was skipped');
        } else if (!outcome || !/^item \d+$/.test(outcome.message)) throw new Error('the failure was not passed on');
      },
    ),
    { numRuns: 400 },
  );
  t.pass('400 random runs');
});
