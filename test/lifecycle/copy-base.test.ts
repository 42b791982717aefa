/** What copy takes over from an earlier copy unread: entry pairing (copy-base.ts), base choice (copy-bases.ts), the bounded memory. */
import t from 'tap';
import fc from 'fast-check';
import type { BlobId, SnapshotId } from '../../src/core/ids.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { DirBase, TreeBase } from '../../src/lifecycle/copy-base.js';
import { planTree } from '../../src/lifecycle/copy-plan.js';
import { encodeTree } from '../../src/snapshot/fs/tree-codec.js';
import { TreeSpans } from '../../src/snapshot/fs/tree-spans.js';
import type { Node } from '../../src/snapshot/node.js';
import { CopyBases } from '../../src/lifecycle/copy-bases.js';
import { RecentMap } from '../../src/core/recent-map.js';
import { node } from '../helpers/node.js';

const id = (s: string): BlobId => s.padEnd(64, '0') as BlobId;
const file = (name: string, content: string[], sizes: number[]) => node(name, 'file', { content: content.map(id), sizes });
const dir = (name: string, tree: string) => node(name, 'dir', { subtree: id(tree) });

t.test('DirBase: unchanged content, a renamed or changed directory, and blob maps only for equal cuts', async (t) => {
  const earlier = [
    file('a', ['a1'], [10]),
    file('big', ['b1', 'b2', 'b3'], [5, 6, 7]),
    dir('docs', 'd1'),
    dir('src', 's1'),
    file('odd', ['o1'], [3]),
  ];
  const copy = [
    file('a', ['A1'], [10]),
    file('big', ['B1', 'B2', 'B3'], [5, 6, 7]),
    dir('docs', 'D1'),
    dir('src', 'S1'),
    file('odd', ['O1', 'O2'], [2, 2]),
  ];
  const base = new DirBase(earlier, copy);

  t.same(base.content(file('a-renamed', ['a1'], [10])), { content: [id('A1')], sizes: [10] }, 'equal content under another name');
  t.equal(base.content(file('a', ['a9'], [10])), undefined, 'changed content');
  t.same(base.subtree(dir('archive', 'd1')), { src: id('d1'), dst: id('D1') }, 'a renamed directory is found by its id');
  t.same(base.subtree(dir('src', 's2')), { src: id('s1'), dst: id('S1') }, 'a changed directory starts from its earlier version');
  t.equal(base.subtree(dir('new', 'n1')), undefined);
  t.same(
    [...(base.blobs(file('big', ['b1', 'x', 'b3'], [5, 1, 7])) ?? [])],
    [
      [id('b1'), id('B1')],
      [id('b2'), id('B2')],
      [id('b3'), id('B3')],
    ],
    'blob i maps to blob i when the cuts are equal',
  );
  t.equal(base.content(file('odd', ['o1'], [3])), undefined, 'a copy whose sizes do not add up is not used');
  t.equal(base.blobs(file('odd', ['o1'], [3])), undefined);

  const recut = new DirBase([file('big', ['b1', 'b2'], [5, 6])], [file('big', ['B1', 'B2'], [6, 5])]);
  t.same(recut.content(file('x', ['b1', 'b2'], [5, 6])), { content: [id('B1'), id('B2')], sizes: [6, 5] }, 'the whole file maps');
  t.equal(recut.blobs(file('big', ['b1'], [5])), undefined, 'no blob map across other cuts');

  const swapped = new DirBase([file('x', ['x1'], [4]), dir('y', 'y1')], [dir('x', 'X1'), file('y', ['Y1'], [4])]);
  t.equal(swapped.content(file('x', ['x1'], [4])), undefined, 'a name whose type differs in the copy is not paired');
  t.equal(swapped.subtree(dir('y', 'y1')), undefined);
});

/** Ids that encode (hex), for the tests that write trees. */
const hid = (s: string): BlobId => Buffer.from(s).toString('hex').padEnd(64, '0') as BlobId;
const hfile = (name: string, content: string[], sizes: number[]) => node(name, 'file', { content: content.map(hid), sizes });
const hdir = (name: string, tree: string) => node(name, 'dir', { subtree: hid(tree) });

t.test('planTree: equal entries taken from the copy, changed ones from the entry of their name, new names from all', async (t) => {
  const earlier = [
    hfile('a', ['a1'], [10]),
    hdir('docs', 'd1'),
    hfile('edit', ['e1', 'e2'], [5, 5]),
    hdir('src', 's1'),
    hfile('touch', ['t1'], [3]),
  ];
  const copy = [
    hfile('a', ['A1'], [10]),
    hdir('docs', 'D1'),
    hfile('edit', ['E1', 'E2'], [5, 5]),
    hdir('src', 'S1'),
    hfile('touch', ['T1'], [3]),
  ];
  const base = TreeBase.written(new TreeSpans(encodeTree(earlier)), new TreeSpans(encodeTree(copy)));
  t.equal(base.size, 5);
  const now = [
    hfile('a', ['a1'], [10]),
    hdir('archive', 'd1'),
    hfile('edit', ['e1', 'e9'], [5, 5]),
    hfile('new', ['n1'], [4]),
    hdir('src', 's2'),
    { ...hfile('touch', ['t1'], [3]), mtimeNs: 7n },
  ];
  const plan = planTree(new TreeSpans(encodeTree(now)), base);
  t.same(plan.out[0], 0, "an equal entry is the copy's entry");
  t.same((plan.out[1] as Node).subtree, hid('D1'), 'a renamed directory is found among all entries');
  t.same(plan.todo, [2, 3, 4], 'changed and new files, and a changed directory, are left to copy, in order');
  t.same(
    [...(plan.hints.get(2)?.blobs(now[2] as Node) ?? [])],
    [
      [hid('e1'), hid('E1')],
      [hid('e2'), hid('E2')],
    ],
  );
  t.same(plan.hints.get(4)?.subtree(now[4] as Node), { src: hid('s1'), dst: hid('S1') }, 'from its earlier version');
  t.same(plan.out[5], { ...now[5], content: [hid('T1')], sizes: [3] }, "a touched file keeps its copy's content");

  const read = planTree(new TreeSpans(encodeTree(now)), TreeBase.read(encodeTree(earlier), encodeTree(copy)));
  t.notOk(
    read.out.some((o) => typeof o === 'number'),
    'a base read from the repositories gives no entry as it is',
  );
  t.same((read.out[0] as Node).content, [hid('A1')]);
  const none = planTree(new TreeSpans(encodeTree(now)), undefined);
  t.same(none.todo, [0, 1, 2, 3, 4, 5], 'without a base everything is copied');
});

const snap = (sid: string, time: string, extra: Partial<Snapshot> = {}): Snapshot => ({
  id: sid as SnapshotId,
  time,
  hostname: 'h',
  username: 'u',
  paths: ['/data'],
  tags: [],
  tree: id(`t${sid}`),
  ...extra,
});

t.test('CopyBases: the parent when copied, else the latest of the same host and paths, else of the same host', async (t) => {
  const s1 = snap('1', '2026-01-01');
  const s2 = snap('2', '2026-01-02', { paths: ['/other'] });
  const s3 = snap('3', '2026-01-03');
  const copyOf = (s: Snapshot, tree: string): Snapshot => ({
    ...s,
    id: `c${s.id}` as SnapshotId,
    tree: id(tree),
    original: s.id,
    copiedFrom: s.id,
  });
  const bases = new CopyBases([s1, s2, s3], [copyOf(s1, 'C1'), copyOf(s2, 'C2'), { ...copyOf(s3, 'C3'), tags: ['changed'] }]);
  t.same(bases.nearest(snap('4', '2026-01-04', { parent: s2.id })), { src: s2.tree, dst: id('C2') }, 'the parent');
  t.same(bases.nearest(snap('4', '2026-01-04')), { src: s1.tree, dst: id('C1') }, 'same paths; the copy of s3 differs in its tags');
  t.same(bases.nearest(snap('4', '2026-01-04', { paths: ['/new'] })), { src: s2.tree, dst: id('C2') }, 'same host, latest');
  t.equal(bases.nearest(snap('4', '2025-12-31')), undefined, 'nothing at or before it');
  t.equal(bases.nearest(snap('4', '2026-01-04', { hostname: 'other' })), undefined, 'another host');
  bases.add(s3, id('C3b'));
  t.same(bases.nearest(snap('4', '2026-01-04')), { src: s3.tree, dst: id('C3b') }, 'a snapshot copied in this run');
});

t.test('RecentMap keeps the most recently used entries, like a list model', async (t) => {
  type Op = { set: boolean; key: number };
  const op = fc.record({ set: fc.boolean(), key: fc.integer({ min: 0, max: 9 }) });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (capacity, ops: Op[]) => {
      const m = new RecentMap<number, number>(capacity);
      let model: [number, number][] = [];
      ops.forEach(({ set, key }, i) => {
        const at = model.findIndex(([k]) => k === key);
        if (set) {
          m.set(key, i);
          model = [...model.filter(([k]) => k !== key), [key, i] as [number, number]].slice(-capacity);
        } else {
          const want = at < 0 ? undefined : model[at]?.[1];
          if (m.get(key) !== want) throw new Error(`get ${key} after ${i} ops`);
          if (at >= 0) model = [...model.filter(([k]) => k !== key), model[at] as [number, number]];
        }
        if (m.size !== model.length) throw new Error(`size ${m.size}, model ${model.length}`);
      });
    }),
    { numRuns: 500 },
  );
  t.pass('500 random sequences agree with the model');
});
