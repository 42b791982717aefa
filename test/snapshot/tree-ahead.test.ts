/** TreeAhead against a model: any depth-first walk, with skipped and unqueued trees and failing loads, gets each tree's own content and never holds more than the limit ahead. */
import t from 'tap';
import fc from 'fast-check';
import type { BlobId } from '../../src/core/ids.js';
import { TreeAhead } from '../../src/snapshot/tree-ahead.js';

interface Dir {
  readonly id: BlobId;
  readonly subdirs: Dir[];
}

const idOf = (n: number): BlobId => n.toString(16).padStart(64, '0') as BlobId;

/** A random tree of directories; ids repeat, as equal directories share a tree id. */
const treeArb = (depth: number): fc.Arbitrary<Dir> =>
  fc.record({
    id: fc.integer({ min: 0, max: 40 }).map(idOf),
    subdirs: depth === 0 ? fc.constant([]) : fc.array(treeArb(depth - 1), { maxLength: 4 }),
  });

t.test("a walk takes every tree it enters with that tree's content; at most `limit` load ahead", async () => {
  await fc.assert(
    fc.asyncProperty(
      treeArb(4),
      fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
      fc.integer({ min: 1, max: 5 }),
      async (root, skips, limit) => {
        let loads = 0;
        const failing = (id: BlobId): boolean => id.endsWith('7');
        const ahead = new TreeAhead<string>(
          (ids) =>
            ids.map(async (id) => {
              loads++;
              await Promise.resolve();
              if (failing(id)) throw new Error(`no ${id}`);
              return `content of ${id}`;
            }),
          limit,
        );
        let step = 0;
        const walk = async (dir: Dir): Promise<void> => {
          const got = await ahead.take(dir.id).then(
            (c) => c,
            (e: Error) => e.message,
          );
          if (got !== (failing(dir.id) ? `no ${dir.id}` : `content of ${dir.id}`)) throw new Error(`wrong content for ${dir.id}: ${got}`);
          ahead.upcoming(dir.subdirs.map((d) => d.id));
          if (ahead.pending > limit) throw new Error(`${ahead.pending} ahead, limit ${limit}`);
          for (const sub of dir.subdirs) if (!skips[step++ % skips.length]) await walk(sub);
        };
        await walk(root);
        // An unqueued tree is loaded on its own.
        return (await ahead.take(idOf(998))) === `content of ${idOf(998)}` && loads >= 1;
      },
    ),
    { numRuns: 300 },
  );
});

t.test('taking a tree drops the trees queued before it (the walk passed them) and starts the next', async (t) => {
  const started: BlobId[] = [];
  const ahead = new TreeAhead<BlobId>((ids) => ids.map((id) => (started.push(id), Promise.resolve(id))), 2);
  ahead.upcoming([idOf(1), idOf(2), idOf(3), idOf(4)]);
  t.same(started, [idOf(1), idOf(2)], 'two ahead, in walk order');
  t.equal(await ahead.take(idOf(2)), idOf(2));
  t.same(started, [idOf(1), idOf(2), idOf(3), idOf(4)], 'the skipped 1 was dropped; 3 and 4 load');
  t.equal(ahead.pending, 2);
});
