/** coalesce: each caller gets its own result, batches stay within the bound, a failed batch fails its callers only. */
import t from 'tap';
import fc from 'fast-check';
import { coalesce } from '../../src/core/coalesce.js';

t.test('results, batch bound and failures against a model', async (t) => {
  type Item = { readonly x: number };
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.array(fc.integer({ min: -3, max: 50 }), { maxLength: 12 }), { maxLength: 4 }),
      async (max, turns) => {
        const batches: Item[][] = [];
        const call = coalesce(async (items: Item[]) => {
          batches.push(items);
          if (items.some((i) => i.x < 0)) throw new Error('negative');
          return items.map((i) => i.x * 2);
        }, max);
        for (const turn of turns) {
          const items = turn.map((x) => ({ x }));
          const results = await Promise.allSettled(items.map((i) => call(i)));
          if (batches.some((b) => b.length > max)) throw new Error('batch over the bound');
          results.forEach((r, k) => {
            const item = items[k] as Item;
            const batch = batches.find((b) => b.includes(item));
            if (!batch) throw new Error('not sent');
            const fails = batch.some((i) => i.x < 0);
            if (fails ? r.status !== 'rejected' : r.status !== 'fulfilled' || r.value !== item.x * 2)
              throw new Error(`wrong result for ${item.x}`);
          });
          batches.length = 0;
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random sequences');
});

t.test('calls of one turn go as one batch', async (t) => {
  const sizes: number[] = [];
  const call = coalesce(async (items: number[]) => (sizes.push(items.length), items), 100);
  await Promise.all([1, 2, 3, 4, 5].map((x) => call(x)));
  await call(6);
  t.same(sizes, [5, 1]);
});
