/** The mount's filesystem by node id, without a kernel: references, listings, reads, pushes, failures. */
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import t from 'tap';
import { BlobCache } from '../../src/fuse/blob-cache.js';
import { EntryResolver } from '../../src/fuse/entry-resolver.js';
import { Errno } from '../../src/fuse/errno.js';
import { ChunkReader } from '../../src/fuse/chunk-reader.js';
import { InodeTable } from '../../src/fuse/inode-table.js';
import { DirentWriter, type EntryReply } from '../../src/fuse/kernel/wire.js';
import { SnapshotCatalog } from '../../src/fuse/snapshot-catalog.js';
import { SnapshotFs } from '../../src/fuse/snapshot-fs.js';
import { TreeCache } from '../../src/fuse/tree-cache.js';
import type { BlobId } from '../../src/core/ids.js';
import type { BlobRun } from '../../src/fuse/snapshot-source.js';
import { sent, value, walk } from './fs-calls.js';
import { baseNode, dirNode, fileNode, MemorySource, settled } from './memory-source.js';

function fsFor(source: MemorySource, logs: string[] = [], treeCache = 1000): SnapshotFs {
  const catalog = new SnapshotCatalog(source, 5000, () => undefined);
  const resolver = new EntryResolver(catalog, new TreeCache(source, treeCache), new InodeTable());
  const blobs = new BlobCache(source, 1 << 20, 2);
  return new SnapshotFs({ resolver, catalog, reader: new ChunkReader(blobs, 2), blobs, log: (l) => logs.push(l), xattrs: true });
}

/** A source that decodes runs: every blob stored after the one asked for, in the order they were added. */
class RunSource extends MemorySource {
  async readRun(id: BlobId): Promise<BlobRun> {
    const ids = [...this.blobs.keys()];
    const run = await Promise.all(ids.slice(ids.indexOf(id)).map(async (b) => [b, await this.readBlob(b)] as const));
    const out = new Uint8Array(run.reduce((n, [, d]) => n + d.length, 0));
    let at = 0;
    return { blobs: run.map(([b, d]) => (out.set(d, at), [b, out.subarray(at, (at += d.length))] as const)) };
  }
}

function source(): MemorySource {
  const s = new MemorySource();
  const files = Array.from({ length: 5 }, (_, i) => fileNode(s, `f${i}`, [Buffer.from(`content ${i}`)]));
  s.addSnapshot(s.addTree([dirNode(s, 'd', files), fileNode(s, 'big', [Buffer.from('ab'), Buffer.from('cd')])]), {
    time: '2024-01-01T00:00:00Z',
  });
  return s;
}

t.test('lookups hold entries until the kernel forgets them', async (t) => {
  const fs = fsFor(source());
  t.equal(fs.heldCount, 1, 'the root');
  const d = await walk(fs, 'snapshots/2024-01-01T00:00:00/d');
  const f = await value<EntryReply>(fs.lookup(d, Buffer.from('f1')));
  t.equal(f.entrySeconds, 3600, 'names in a snapshot are cached long');
  const again = await value(fs.lookup(d, Buffer.from('f1')));
  t.equal(again.attr.ino, f.attr.ino, 'the same number every time');
  t.equal(fs.heldCount, 5);
  fs.forget(f.attr.ino, 1);
  t.not(fs.getattr(f.attr.ino), Errno.ENOENT, 'still held once');
  fs.forget(f.attr.ino, 1);
  t.equal(fs.getattr(f.attr.ino), Errno.ENOENT, 'forgotten');
  t.equal(fs.lookup(f.attr.ino, Buffer.from('x')), Errno.ENOENT, 'an unknown node');
  const snapshots = await value(fs.lookup(1, Buffer.from('snapshots')));
  t.equal(snapshots.entrySeconds, 1, 'the top levels change');
  t.equal(await fs.lookup(1, Buffer.from([0xff])), Errno.ENOENT, 'no top-level name is not UTF-8');
  t.equal(await fs.lookup(d, Buffer.from('nope')), Errno.ENOENT);
  t.equal(await fs.lookup(await walk(fs, 'snapshots/2024-01-01T00:00:00/big'), Buffer.from('x')), Errno.ENOTDIR);
});

t.test('READDIRPLUS holds what it lists; offsets continue a listing', async (t) => {
  const fs = fsFor(source());
  const d = await walk(fs, 'snapshots/2024-01-01T00:00:00/d');
  const before = fs.heldCount;
  const dir = await value(fs.opendir(d));
  t.same(dir, { fh: 0, cache: true }, 'a snapshot directory never changes');
  const first = await sent(fs.readdir(d, dir.fh, 0, new DirentWriter(3 * 160, true)));
  t.ok(first.used > 0);
  t.equal(fs.heldCount, before + 1, 'one child fitted after . and ..');
  const rest = await sent(fs.readdir(d, dir.fh, 3, new DirentWriter(4096, true)));
  t.ok(rest.used > 0);
  t.equal(fs.heldCount, before + 5, 'all five children held');
  const plain = await sent(fs.readdir(d, dir.fh, 0, new DirentWriter(4096, false)));
  t.ok(plain.used > 0);
  t.equal(fs.heldCount, before + 5, 'plain READDIR holds nothing');
  const top = await value(fs.opendir(1));
  t.equal(top.cache, false, 'the top level is listed afresh');
  t.ok(top.fh > 0);
  const listed = await sent(fs.readdir(1, top.fh, 0, new DirentWriter(4096, false)));
  t.match(listed.buf.subarray(0, listed.used).toString('latin1'), /snapshots.*ids|ids/s);
  fs.releasedir(top.fh);
  t.equal(fs.opendir(await walk(fs, 'snapshots/2024-01-01T00:00:00/big')), Errno.ENOTDIR);
});

t.test('reads, links and attributes', async (t) => {
  const fs = fsFor(source());
  const big = await walk(fs, 'snapshots/2024-01-01T00:00:00/big');
  const parts = await value(fs.read(big, 1, 2));
  t.equal(Buffer.concat(parts).toString(), 'bc', 'a read across two chunks');
  t.same(await value(fs.read(big, 4, 10)), [], 'at the end');
  t.equal(await fs.read(await walk(fs, 'snapshots/2024-01-01T00:00:00/d'), 0, 10), Errno.EISDIR);
  t.equal(fs.readlink(big), Errno.EINVAL);
  t.equal(Buffer.from(await value(fs.readlink(await walk(fs, 'snapshots/latest')))).toString(), '2024-01-01T00:00:00');
  t.equal(fs.getxattr(big, 'user.x'), Errno.ENODATA);
  t.equal(Buffer.from(await value(fs.listxattr(big))).length, 0);
});

t.test('files the kernel holds are pushed to the page cache, once, when their blob is decoded', async (t) => {
  const s = new RunSource();
  const files = Array.from({ length: 5 }, (_, i) => fileNode(s, `f${i}`, [Buffer.from(`content ${i}`)]));
  s.addSnapshot(s.addTree([dirNode(s, 'd', files)]), { time: '2024-01-01T00:00:00Z' });
  const fs = fsFor(s);
  const stores: [number, string][] = [];
  fs.pushTo({ store: (ino, offset, data) => stores.push([ino, `${offset}:${Buffer.from(data).toString()}`]) });
  const d = await walk(fs, 'snapshots/2024-01-01T00:00:00/d');
  await sent(fs.readdir(d, 0, 0, new DirentWriter(4096, true)));
  const f1 = await walk(fs, 'snapshots/2024-01-01T00:00:00/d/f1');
  const f4 = await walk(fs, 'snapshots/2024-01-01T00:00:00/d/f4');
  fs.forget(f4, 2); // the kernel let go of f4: it is not pushed
  t.equal(Buffer.concat(await value(fs.read(f1, 0, 100))).toString(), 'content 1');
  await settled();
  t.same(
    stores.map(([, v]) => v),
    ['0:content 1', '0:content 2', '0:content 3'],
    'the run from f1 on, but f4',
  );
  t.same(
    stores.map(([ino]) => ino),
    [f1, f1 + 1, f1 + 2],
  );
  await value(fs.read(await walk(fs, 'snapshots/2024-01-01T00:00:00/d/f0'), 0, 100));
  await settled();
  t.same(
    stores.slice(3).map(([, v]) => v),
    ['0:content 0'],
    'f0 is decoded with a run of its own; the others are not pushed again',
  );
  const again = await walk(fs, 'snapshots/2024-01-01T00:00:00/d/f4');
  t.equal(again, f4);
  t.same(stores.at(-1), [f4, '0:content 4'], 'a file looked up again whose blob is cached is pushed at once');
});

t.test('a held file whose listing is no longer cached is not pushed, and its tree is not loaded for it', async (t) => {
  const s = new RunSource();
  const later = Array.from({ length: 3 }, (_, i) => fileNode(s, `e${i}`, [Buffer.from(`e ${i}`)]));
  const held = Array.from({ length: 3 }, (_, i) => fileNode(s, `d${i}`, [Buffer.from(`d ${i}`)]));
  s.addSnapshot(s.addTree([dirNode(s, 'd', held), dirNode(s, 'e', later)]), { time: '2024-01-01T00:00:00Z' });
  const fs = fsFor(s);
  const stores: string[] = [];
  fs.pushTo({ store: (_ino, _offset, data) => stores.push(Buffer.from(data).toString()) });
  await sent(fs.readdir(await walk(fs, 'snapshots/2024-01-01T00:00:00/d'), 0, 0, new DirentWriter(4096, true)));
  const e0 = await walk(fs, 'snapshots/2024-01-01T00:00:00/e/e0');
  const loads = s.treeLoads;
  t.equal(Buffer.concat(await value(fs.read(e0, 0, 100))).toString(), 'e 0');
  await settled();
  t.same(stores, ['e 0'], 'the d files are held, but their listing is no longer in memory');
  t.equal(s.treeLoads, loads, 'no listing loaded again to push');
});

t.test('a failing source is EIO and one log line naming the entry', async (t) => {
  const s = source();
  const logs: string[] = [];
  const fs = fsFor(s, logs);
  const big = await walk(fs, 'snapshots/2024-01-01T00:00:00/big');
  for (const id of s.blobs.keys()) s.failing.add(id);
  t.equal(await fs.read(big, 0, 4), Errno.EIO);
  t.equal(logs.length, 1);
  t.match(logs[0], /^rozen mount: read at 0 of big \(snapshot [0-9a-f]{8}\) failed: injected failure/);
  const d2 = s.addTree([fileNode(s, 'x', [Buffer.from('x')])]);
  s.failing.add(d2);
  s.addSnapshot(s.addTree([{ ...dirNode(s, 'bad\nname', []), subtree: d2 }]), { time: '2025-01-01T00:00:00Z' });
  const catalogFs = fsFor(s, logs);
  const bad = await walk(catalogFs, 'snapshots/2025-01-01T00:00:00/bad\nname');
  t.equal(await catalogFs.lookup(bad, Buffer.from('x')), Errno.EIO);
  t.match(logs[1], /lookup in bad\\x0aname .*failed: injected failure loading tree/, 'control characters escaped: one line');
});

t.test('links of one inode that recorded different files get numbers of their own', async (t) => {
  const s = new MemorySource();
  const link = { device: 7, inode: 42, links: 2 };
  const a = fileNode(s, 'a', [Buffer.from('first version')], link);
  const b = fileNode(s, 'b', [Buffer.from('changed while backed up')], link);
  const c = fileNode(s, 'c', [Buffer.from('first version')], { ...link, content: a.content ?? [], mtimeNs: a.mtimeNs });
  s.addSnapshot(s.addTree([a, b, c]), { time: '2024-01-01T00:00:00Z' });
  const fs = fsFor(s);
  const [ia, ib, ic] = await Promise.all(['a', 'b', 'c'].map((n) => walk(fs, `snapshots/2024-01-01T00:00:00/${n}`)));
  t.not(ia, ib, 'other content, another number');
  t.equal(ia, ic, 'the same content and metadata, one number');
  t.equal(Buffer.concat(await value(fs.read(ib as number, 0, 100))).toString(), 'changed while backed up');
});

t.test('a held file costs a compact record, not its decoded tree', async (t) => {
  const s = new MemorySource();
  const id = (d: number, i: number): BlobId => createHash('sha256').update(`${d}/${i}`).digest('hex') as BlobId;
  const dirs = Array.from({ length: 200 }, (_, d) =>
    dirNode(
      s,
      `d${d}`,
      Array.from({ length: 1000 }, (_, i) => baseNode(`f${i}`, { size: 10, allocated: 4096, content: [id(d, i)], sizes: [10] })),
    ),
  );
  s.addSnapshot(s.addTree(dirs), { time: '2024-01-01T00:00:00Z' });
  const fs = fsFor(s, [], 1);
  fs.pushTo({ store: () => undefined });
  const inos = await Promise.all(dirs.map((_, d) => walk(fs, `snapshots/2024-01-01T00:00:00/d${d}`)));
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // Objects on the heap, after a full collection; the records' typed arrays are counted exactly apart.
  const heap = async (): Promise<number> => {
    await settled();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = await heap();
  const out = new DirentWriter(1 << 20, true);
  for (const ino of inos) {
    out.used = 0;
    await sent(fs.readdir(ino, 0, 0, out));
  }
  const objects = ((await heap()) - before) / 200_000;
  const records = fs.heldRecordBytes / 200_000;
  t.equal(fs.heldCount, 1 + 2 + 200 + 200_000, 'the root, the path to the snapshot, the directories, every file');
  t.ok(records < 64, `records: ${records.toFixed(1)} bytes each`);
  t.ok(objects + records < 100, `${(objects + records).toFixed(1)} bytes per held file in all (${objects.toFixed(1)} on the heap)`);
  const f = await value(fs.getattr(inos[7]! + 1 + 500));
  t.equal(f.attr.size, 10, 'a held file whose listing is no longer cached is listed again');
});
