import t from 'tap';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BlobId, SnapshotId } from '../../src/core/ids.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import type { Node } from '../../src/snapshot/node.js';
import { collapseVersions, covers, versionNames, type HistoryPoint } from '../../src/snapshot/history.js';

const snap = (i: number, time = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString()): Snapshot => ({
  id: i.toString(16).padStart(8, '0').padEnd(64, 'a') as SnapshotId,
  time,
  hostname: 'h',
  username: 'u',
  paths: ['/data'],
  tags: [],
  tree: 'f'.repeat(64) as BlobId,
});

/** A node from a small space, so that equal and nearly equal nodes are frequent. */
const nodeArb = fc
  .record({
    type: fc.constantFrom<'file' | 'symlink'>('file', 'symlink'),
    content: fc.constantFrom('1', '2'),
    size: fc.constantFrom(3, 4),
    mode: fc.constantFrom(0o644, 0o600),
    uid: fc.constantFrom(0, 1000),
    mtime: fc.constantFrom(1n, 2n),
    ctime: fc.constantFrom(1n, 9n),
  })
  .map((r): Node => ({
    name: Buffer.from('f'),
    type: r.type,
    mode: r.mode,
    uid: r.uid,
    gid: 0,
    mtimeNs: r.mtime,
    atimeNs: 0n,
    ctimeNs: r.ctime,
    size: r.size,
    allocated: 0,
    device: 1,
    inode: 2,
    links: 1,
    ...(r.type === 'file' ? { content: [r.content.repeat(64) as BlobId] } : { linkTarget: Buffer.from(r.content) }),
  }));

/** The model: what a user would call the same file (every field but the times other than mtime, and the inode). */
const same = (a: Node, b: Node): boolean =>
  a.type === b.type &&
  a.size === b.size &&
  String(a.content) === String(b.content) &&
  String(a.linkTarget) === String(b.linkTarget) &&
  a.mode === b.mode &&
  a.uid === b.uid &&
  a.gid === b.gid &&
  a.mtimeNs === b.mtimeNs;
const sameContent = (a: Node, b: Node): boolean =>
  a.type === b.type && a.size === b.size && String(a.content) === String(b.content) && String(a.linkTarget) === String(b.linkTarget);

/** The model's versions: split the sequence where a node differs from the one just before it, or follows an absence. */
function model(nodes: readonly (Node | undefined)[]): { ids: number[]; change: string }[] {
  const out: { ids: number[]; change: string }[] = [];
  nodes.forEach((n, i) => {
    if (n === undefined) return;
    const before = i > 0 ? nodes[i - 1] : undefined;
    if (before !== undefined && same(before, n)) (out.at(-1) as { ids: number[] }).ids.push(i);
    else out.push({ ids: [i], change: before === undefined ? 'added' : sameContent(before, n) ? 'metadata' : 'content' });
  });
  return out;
}

t.test('collapseVersions equals the model on arbitrary sequences (absent entries included)', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.option(nodeArb, { nil: undefined, freq: 4 }), { maxLength: 40 }), (nodes) => {
      const points: HistoryPoint<number>[] = nodes.map((node, i) => ({ snapshot: snap(i), node, item: i }));
      const got = collapseVersions(points).map((v) => ({ ids: v.snapshots.map((s) => parseInt(s.id.slice(0, 8), 16)), change: v.change }));
      assert.deepStrictEqual(got, model(nodes));
      for (const v of collapseVersions(points)) assert.equal(v.item, parseInt((v.snapshots[0] as Snapshot).id.slice(0, 8), 16));
    }),
    { numRuns: 300 },
  );
  t.pass('300 sequences');
});

t.test('version names: time of the first snapshot; a second in the same second gets its short id', async (t) => {
  const v = (s: Snapshot): { snapshots: Snapshot[]; node: Node; item: null; change: 'added' } => ({
    snapshots: [s],
    node: {} as Node,
    item: null,
    change: 'added',
  });
  const a = snap(1, '2026-11-03T09:12:44.100Z');
  const b = snap(2, '2026-11-03T09:12:44.900Z');
  const c = snap(3, '2026-11-03T09:12:45.000Z');
  const names = versionNames(Buffer.from('report.odt'), [v(a), v(b), v(c)]).map(String);
  t.same(names, ['report.odt@2026-11-03T09:12:44', 'report.odt@2026-11-03T09:12:44-00000002', 'report.odt@2026-11-03T09:12:45']);
});

t.test('a snapshot covers the paths below those it backed up', async (t) => {
  const s = { ...snap(1), paths: ['/home/me/work', '/etc/'] };
  t.ok(covers(s, '/home/me/work'));
  t.ok(covers(s, '/home/me/work/a/b'));
  t.ok(covers(s, '/etc/hosts'));
  t.notOk(covers(s, '/home/me/workshop'));
  t.notOk(covers(s, '/home/me'));
  t.ok(covers({ ...s, paths: ['/'] }, '/anything'));
});
