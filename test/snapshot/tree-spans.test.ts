/**
 * Tree entries found without decoding (tree-spans.ts) against the full codec: the same entries, names and bytes,
 * trees written from nodes and entries taken as they are equal to encodeTree's, and damaged bytes accepted exactly
 * when decodeTree accepts them.
 */
import t from 'tap';
import fc from 'fast-check';
import type { Node } from '../../src/snapshot/node.js';
import { decodeTree, encodeEntries, encodeTree } from '../../src/snapshot/fs/tree-codec.js';
import { TreeSpans } from '../../src/snapshot/fs/tree-spans.js';
import { node } from '../helpers/node.js';
import { treeArb } from '../helpers/tree-arb.js';

const sign = (x: number): number => Math.sign(x);
const entryBytes = (n: Node): Buffer => Buffer.from(encodeTree([n]));

t.test('entries, names and equal entries agree with a full decode', async (t) => {
  fc.assert(
    fc.property(treeArb, treeArb, (a, b) => {
      const sa = new TreeSpans(encodeTree(a));
      const sb = new TreeSpans(encodeTree(b));
      t.equal(sa.count, a.length);
      a.forEach((n, i) => t.strictSame(sa.decode(i), n));
      for (let i = 0; i < a.length; i++) {
        for (let j = 0; j < b.length; j++) {
          const [x, y] = [a[i] as Node, b[j] as Node];
          if (sa.compareName(i, sb, j) !== sign(Buffer.compare(x.name, y.name))) throw new Error('name order');
          if (sa.sameEntry(i, sb, j) !== entryBytes(x).equals(entryBytes(y))) throw new Error('equal entries');
        }
      }
    }),
    { numRuns: 200 },
  );
  const n = node('same', 'file', { content: [], sizes: [] });
  const twice = new TreeSpans(encodeTree([n, { ...n, name: Buffer.from('samf') }]));
  const once = new TreeSpans(encodeTree([n]));
  t.ok(once.sameEntry(0, twice, 0), 'equal entries in two trees');
  t.notOk(once.sameEntry(0, twice, 1), 'another name');
});

t.test('a tree of nodes and entries taken as they are equals encodeTree', async (t) => {
  fc.assert(
    fc.property(treeArb, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (nodes, taken) => {
      const from = new TreeSpans(encodeTree(nodes));
      const items = nodes.map((n, i) => (taken[i] === true ? i : n));
      const { bytes, starts } = encodeEntries(items, from);
      if (!Buffer.from(bytes).equals(Buffer.from(encodeTree(nodes)))) return false;
      return starts.every((s, i) => s === from.start(i));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    // Entries of another tree, some left out (a deleted file): runs taken in one copy, gaps between them.
    fc.property(treeArb, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (nodes, kept) => {
      const from = new TreeSpans(encodeTree(nodes));
      const picked = nodes.flatMap((_, i) => (kept[i] === true ? [i] : []));
      const { bytes, starts } = encodeEntries(picked, from);
      const want = encodeTree(picked.map((i) => nodes[i] as Node));
      return Buffer.from(bytes).equals(Buffer.from(want)) && starts.every((s, k) => s === new TreeSpans(want).start(k));
    }),
    { numRuns: 300 },
  );
  const ok = encodeTree([node('a', 'fifo')]);
  t.throws(() => encodeEntries([node('a', 'fifo'), 0], undefined), { code: 'InvalidArgument' }, 'an entry from no tree');
  t.same(encodeTree([node('a', 'fifo')]), ok, 'the writer starts over after a refusal');
});

t.test('damaged bytes are accepted exactly when decodeTree accepts them', async (t) => {
  fc.assert(
    fc.property(treeArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(), (nodes, flips, cut) => {
      const bytes = Buffer.from(encodeTree(nodes));
      for (const [at, v] of flips) bytes[at % bytes.length] = v;
      const damaged = cut % 3 === 0 ? bytes.subarray(0, cut % (bytes.length + 1)) : bytes;
      const full = outcome(() => decodeTree(damaged));
      const spans = outcome(() => {
        const s = new TreeSpans(damaged);
        return Array.from({ length: s.count }, (_, i) => s.decode(i));
      });
      t.strictSame(spans, full);
    }),
    { numRuns: 2000 },
  );
  const ok = encodeTree([node('a', 'fifo')]);
  t.throws(() => new TreeSpans(ok.subarray(0, ok.length - 1)), { code: 'CorruptData' }, 'truncated');
  t.throws(() => new TreeSpans(Buffer.from('82a17601a1659181a17400', 'hex')), { code: 'CorruptData' }, 'an entry without a name');
  t.throws(() => new TreeSpans(Buffer.from('82a17601a1659182a16ec40161a16ec40162', 'hex')), { code: 'CorruptData' }, 'two names');
  t.throws(
    () => new TreeSpans(Buffer.from('82a17601a1659281a16ec4016281a16ec40161', 'hex')),
    { code: 'CorruptData' },
    'names out of order',
  );
});

/** The nodes decoded, or the code of the error thrown (anything but CorruptData fails the test). */
function outcome(read: () => Node[]): Node[] | string {
  try {
    return read();
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    if (code !== 'CorruptData') throw err;
    return code;
  }
}
