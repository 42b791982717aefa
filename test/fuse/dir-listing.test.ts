/** Listings in typed arrays give back every entry as decoded; the tree cache keeps them within its bytes. */
import { deepStrictEqual as same, strictEqual as equal } from 'node:assert';
import t from 'tap';
import fc from 'fast-check';
import type { BlobId } from '../../src/core/ids.js';
import { DirListing } from '../../src/fuse/dir-listing.js';
import { blobKeyOf, NO_BLOB } from '../../src/fuse/held-nodes.js';
import { TreeCache } from '../../src/fuse/tree-cache.js';
import { modeBitsOf } from '../../src/snapshot/fs/file-type.js';
import type { Node, NodeType } from '../../src/snapshot/node.js';
import { fileNode, MemorySource } from './memory-source.js';

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex') as BlobId);
const time = fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n });
const u32 = fc.nat(0xffffffff);
const bytes = (min: number, max: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b));

/** A node as the tree codec returns one (owner names aside), of any type. */
const node: fc.Arbitrary<Node> = fc
  .record({
    type: fc.constantFrom<NodeType>('file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev', 'socket'),
    mode: fc.nat(0o7777),
    uid: u32,
    gid: u32,
    mtimeNs: time,
    atimeNs: time,
    ctimeNs: time,
    size: fc.nat(2 ** 40),
    allocated: fc.nat(2 ** 40),
    device: fc.nat(2 ** 52),
    inode: fc.nat(2 ** 52),
    links: u32,
    rdev: u32,
    target: bytes(1, 40),
    chunks: fc.array(fc.tuple(hexId, fc.nat(8 << 20)), { maxLength: 5 }),
    subtree: hexId,
    xattrs: fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), bytes(0, 8)), { maxLength: 2 }),
  })
  .map((r) => {
    const n: { -readonly [K in keyof Node]: Node[K] } = {
      name: Buffer.alloc(0),
      type: r.type,
      mode: r.mode,
      uid: r.uid,
      gid: r.gid,
      mtimeNs: r.mtimeNs,
      atimeNs: r.atimeNs,
      ctimeNs: r.ctimeNs,
      size: r.size,
      allocated: r.allocated,
      device: r.device,
      inode: r.inode,
      links: r.links,
    };
    if (r.type === 'chardev' || r.type === 'blockdev') n.rdev = r.rdev;
    if (r.type === 'symlink') n.linkTarget = r.target;
    if (r.type === 'file' && r.chunks.length > 0) {
      n.content = r.chunks.map(([id]) => id);
      n.sizes = r.chunks.map(([, size]) => size);
    }
    if (r.type === 'dir') n.subtree = r.subtree;
    const names = [...new Set(r.xattrs.map(([k]) => k))].sort();
    if (names.length > 0) n.xattrs = names.map((k) => [k, r.xattrs.find(([x]) => x === k)![1]] as const);
    return n;
  });

/** Entries with distinct names, sorted by name bytes as trees are. */
const listing = fc
  .uniqueArray(
    bytes(1, 12).filter((b) => !b.includes(0x2f) && !b.includes(0)),
    { maxLength: 30, selector: (b) => b.toString('hex') },
  )
  .chain((names) =>
    fc.tuple(fc.constant(names.sort((a, b) => Buffer.compare(a, b))), fc.array(node, { minLength: names.length, maxLength: names.length })),
  )
  .map(([names, nodes]) => nodes.map((n, i) => ({ ...n, name: names[i]! })));

t.test('every entry comes back as it was decoded, and is found by its name', async (t) => {
  fc.assert(
    fc.property(listing, bytes(1, 12), (nodes, other) => {
      const l = DirListing.from(nodes);
      equal(l.length, nodes.length);
      nodes.forEach((n, i) => {
        same(l.node(i), n);
        equal(l.find(n.name), i);
        equal(l.name(i).equals(n.name), true);
        equal(l.modeBits(i), modeBitsOf(n.type) | n.mode);
        equal(l.isDir(i), n.type === 'dir');
        same(l.attr(i, 9), {
          ino: 9,
          mode: modeBitsOf(n.type) | n.mode,
          nlink: Math.max(1, n.links),
          uid: n.uid,
          gid: n.gid,
          rdev: n.rdev ?? 0,
          size: n.type === 'symlink' ? n.linkTarget!.length : n.size,
          blocks: Math.ceil(n.allocated / 512),
          atimeNs: n.atimeNs,
          mtimeNs: n.mtimeNs,
          ctimeNs: n.ctimeNs,
        });
        const whole = n.type === 'file' && n.content?.length === 1 ? n.content[0] : undefined;
        equal(l.wholeBlob(i), whole);
        equal(l.wholeBlobKey(i), whole === undefined ? NO_BLOB : blobKeyOf(whole));
        same(l.firstChunk(i), n.content === undefined ? undefined : { id: n.content[0], size: n.sizes![0], whole: n.content.length === 1 });
        equal(l.sharesInode(i), n.type !== 'dir' && n.links > 1);
      });
      if (!nodes.some((n) => n.name.equals(other))) equal(l.find(other), -1);
    }),
    { numRuns: 200 },
  );
  t.pass('every generated listing');
});

t.test('the tree cache keeps listings within its bytes, the newest always', async (t) => {
  const source = new MemorySource();
  const trees = Array.from({ length: 6 }, (_, d) =>
    source.addTree(Array.from({ length: 100 }, (_, i) => fileNode(source, `d${d}f${i}`, [Buffer.from([d, i])]))),
  );
  const one = DirListing.from(source.trees.get(trees[0]!)!).byteLength;
  const cache = new TreeCache(source, 3.5 * one);
  for (const id of trees) await cache.load(id);
  t.ok(cache.heldBytes <= 3.5 * one, `${cache.heldBytes} bytes held`);
  t.equal(source.treeLoads, 6);
  t.ok(cache.peek(trees[5]!) && cache.peek(trees[4]!) && cache.peek(trees[3]!), 'the last three');
  t.equal(cache.peek(trees[0]!), undefined, 'the first evicted');
  await Promise.all([cache.load(trees[0]!), cache.load(trees[0]!), cache.get(trees[0]!)]);
  t.equal(source.treeLoads, 7, 'loaded once for three at the same time');
  const small = new TreeCache(source, 1);
  const l = await small.load(trees[1]!);
  t.equal(small.peek(trees[1]!), l, 'kept alone over the bound: a large directory is listed in parts');
  await small.load(trees[2]!);
  t.equal(small.peek(trees[1]!), undefined);
});
