import t from 'tap';
import { buildLayout } from '../../src/fuse/snapshot-layout.js';
import { HistoryDirs } from '../../src/fuse/history-dirs.js';
import { InodeTable } from '../../src/fuse/inode-table.js';
import { TreeCache } from '../../src/fuse/tree-cache.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import type { Node } from '../../src/snapshot/node.js';
import { dirNode, fileNode, MemorySource } from './memory-source.js';

const FILES = 40;

/** Snapshot k of /data holds FILES files; file i changes content at snapshots k where k % (i + 1) === 0. */
function build(count: number): { source: MemorySource; snaps: Snapshot[]; add: (k: number) => Snapshot } {
  const source = new MemorySource();
  const snaps: Snapshot[] = [];
  // The same content is the same node (the same blob ids), as a backup would record it.
  const nodes = new Map<string, Node>();
  const file = (name: string | Buffer, text: string): Node => {
    const key = `${name.toString()}:${text}`;
    if (!nodes.has(key)) nodes.set(key, fileNode(source, name, [Buffer.from(text)]));
    return nodes.get(key) as Node;
  };
  const add = (k: number): Snapshot => {
    const files: Node[] = [];
    for (let i = 0; i < FILES; i++) files.push(file(`f${i}`, `f${i} v${Math.floor(k / (i + 1))}`));
    files.push(file(Buffer.from([0xff, 0x2e]), 'not utf-8'));
    const root = source.addTree([dirNode(source, 'data', files)]);
    const s = source.addSnapshot(root, { time: new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString() });
    snaps.push(s);
    return s;
  };
  for (let k = 0; k < count; k++) add(k);
  return { source, snaps, add };
}

t.test('versions per file, children as the union, names by first snapshot', async (t) => {
  const { source, snaps } = build(12);
  const dirs = new HistoryDirs(new TreeCache(source, 1 << 20), new InodeTable(), 1 << 20);
  const layout = buildLayout(snaps);
  const top = await dirs.list(layout, []);
  t.same(
    top.map(([n]) => n.toString()),
    ['data'],
  );
  const data = await dirs.list(layout, [Buffer.from('data')]);
  t.equal(data.length, FILES + 1);
  t.ok(data.every(([, e]) => e.kind === 'vdir'));
  // f2 changes every third snapshot: versions start at 0, 3, 6, 9.
  const f2 = await dirs.list(layout, [Buffer.from('data'), Buffer.from('f2')]);
  t.same(
    f2.map(([n]) => n.toString()),
    [0, 3, 6, 9].map((k) => `f2@${new Date(Date.UTC(2026, 0, 1) + k * 1000).toISOString().slice(0, 19)}`),
  );
  const odd = await dirs.list(layout, [Buffer.from('data'), Buffer.from([0xff, 0x2e])]);
  t.equal(odd.length, 1, 'a name that is not UTF-8 has its history too');
  t.equal((odd[0] as [Buffer, unknown])[0].subarray(0, 2).toString('hex'), 'ff2e');
  const child = await dirs.child(layout, [Buffer.from('data'), Buffer.from('f2')], (f2[1] as [Buffer, unknown])[0]);
  t.equal(child?.kind === 'node' && child.snapshot.id, (snaps[3] as Snapshot).id, 'a version is the node of its first snapshot');
  t.equal(await dirs.child(layout, [Buffer.from('data')], Buffer.from('nope')), undefined);
});

t.test('a new snapshot costs only its own walk', async (t) => {
  const { source, snaps, add } = build(20);
  const dirs = new HistoryDirs(new TreeCache(source, 1 << 22), new InodeTable(), 1 << 20);
  const path = [Buffer.from('data'), Buffer.from('f0')];
  t.equal((await dirs.list(buildLayout(snaps), path)).length, 20, 'f0 changes in every snapshot');
  const loads = source.treeLoads;
  add(20);
  t.equal((await dirs.list(buildLayout(snaps), path)).length, 21);
  t.equal(source.treeLoads - loads, 2, 'the new root and data trees, nothing else');
});

t.test('what is built stays within its bound', async (t) => {
  const { source, snaps } = build(30);
  const bound = 64 * 1024;
  const dirs = new HistoryDirs(new TreeCache(source, 1 << 22), new InodeTable(), bound);
  const layout = buildLayout(snaps);
  let largest = 0;
  for (let i = 0; i < FILES; i++) {
    const before = dirs.heldBytes;
    await dirs.list(layout, [Buffer.from('data'), Buffer.from(`f${i}`)]);
    largest = Math.max(largest, dirs.heldBytes - before);
    t.ok(dirs.heldBytes <= bound + largest, `after f${i}: ${dirs.heldBytes}`);
  }
  t.ok(dirs.heldBytes <= bound, 'over the bound only by the newest');
  const again = await dirs.list(layout, [Buffer.from('data'), Buffer.from('f1')]);
  t.equal(again.length, 15, 'an evicted path is built again');
});
