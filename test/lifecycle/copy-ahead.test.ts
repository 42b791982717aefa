/** Ahead (copy-ahead.ts): work started a bounded distance ahead of the item taken, each item once, in order. */
import t from 'tap';
import fc from 'fast-check';
import { Ahead } from '../../src/lifecycle/copy-ahead.js';

t.test('each item is started once, at most depth items ahead, and taken with its own result', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 0, max: 6 }),
      fc.func(fc.constantFrom('none', 'value', 'fail')),
      fc.integer({ min: 0, max: 30 }),
      async (count, depth, kind, stopAt) => {
        const started: number[] = [];
        const ahead = new Ahead(count, depth, (i) => {
          started.push(i);
          const k = kind(i);
          return k === 'none' ? undefined : k === 'value' ? Promise.resolve(i * 10) : Promise.reject(new Error(`item ${i}`));
        });
        for (let i = 0; i < Math.min(count, stopAt); i++) {
          const p = ahead.take(i);
          if (started.length > Math.min(i + depth + 1, count)) throw new Error(`${started.length} started when taking ${i}`);
          const k = kind(i);
          if ((p === undefined) !== (k === 'none')) throw new Error(`item ${i}: ${k}, got ${p === undefined ? 'no work' : 'work'}`);
          if (k === 'value' && (await p) !== i * 10) throw new Error(`item ${i}: wrong result`);
          if (
            k === 'fail' &&
            (await p?.then(
              () => 'resolved',
              (e: Error) => e.message,
            )) !== `item ${i}`
          )
            throw new Error(`item ${i}: no failure`);
        }
        if (started.some((x, j) => x !== j)) throw new Error(`started out of order: ${started.join(',')}`);
        // Results left untaken (failures among them) must not surface as unhandled rejections.
        await new Promise((r) => setImmediate(r));
      },
    ),
    { numRuns: 500 },
  );
  t.pass('500 runs');
});
