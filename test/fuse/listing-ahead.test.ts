/** Listings encoded ahead of their requests and trees loaded ahead of their directories, against the mount without them. */
import fc from 'fast-check';
import t from 'tap';
import type { BlobId } from '../../src/core/ids.js';
import { BlobCache } from '../../src/fuse/blob-cache.js';
import { ChunkReader } from '../../src/fuse/chunk-reader.js';
import { DirListing } from '../../src/fuse/dir-listing.js';
import { EntryResolver } from '../../src/fuse/entry-resolver.js';
import { InodeTable } from '../../src/fuse/inode-table.js';
import { Size } from '../../src/fuse/kernel/abi.js';
import { DirentWriter } from '../../src/fuse/kernel/wire.js';
import { ListingAhead } from '../../src/fuse/listing-ahead.js';
import { SnapshotCatalog } from '../../src/fuse/snapshot-catalog.js';
import { SnapshotFs } from '../../src/fuse/snapshot-fs.js';
import { TreeCache } from '../../src/fuse/tree-cache.js';
import type { Node } from '../../src/snapshot/node.js';
import { sent, value, walk } from './fs-calls.js';
import { baseNode, dirNode, fileNode, MemorySource, settled } from './memory-source.js';

const SNAPSHOT_DIR = 'snapshots/2024-01-01T00:00:00';

function fsFor(source: MemorySource, listAhead: ListingAhead | false): SnapshotFs {
  const catalog = new SnapshotCatalog(source, 5000, () => undefined);
  const resolver = new EntryResolver(catalog, new TreeCache(source, 32 << 20), new InodeTable());
  const blobs = new BlobCache(source, 1 << 20, 2);
  return new SnapshotFs({ resolver, catalog, reader: new ChunkReader(blobs, 2), blobs, log: () => undefined, xattrs: false, listAhead });
}

/** Each entry of a reply (node id, next offset, name), and the reply with its node ids zeroed. */
function parse(out: DirentWriter): { entries: { ino: number; next: number; name: string }[]; bytes: Buffer } {
  const bytes = Buffer.from(out.buf.subarray(0, out.used));
  const entries: { ino: number; next: number; name: string }[] = [];
  for (let at = 0; at < bytes.length;) {
    const d = at + (out.plus ? Size.entryOut : 0);
    const nameLength = bytes.readUInt32LE(d + 16);
    entries.push({
      ino: Number(bytes.readBigUInt64LE(d)),
      next: Number(bytes.readBigUInt64LE(d + 8)),
      name: bytes.toString('latin1', d + Size.dirent, d + Size.dirent + nameLength),
    });
    bytes.fill(0, d, d + 8);
    if (out.plus) bytes.fill(0, at, at + 8).fill(0, at + 40, at + 48); // fuse_entry_out's nodeid and attr.ino
    at += ((out.plus ? Size.direntplus : Size.dirent) + nameLength + 7) & ~7;
  }
  return { entries, bytes };
}

/** The node numbers one mount gave: each name one number, each number one name, for good. */
class Numbering {
  readonly byName = new Map<string, number>();
  private readonly byIno = new Map<number, string>();

  /** False when `ino` or `name` was seen with another. */
  note(name: string, ino: number): boolean {
    const ok = (this.byName.get(name) ?? ino) === ino && (this.byIno.get(ino) ?? name) === name;
    this.byName.set(name, ino);
    this.byIno.set(ino, name);
    return ok;
  }
}

/** Directories of `sizes[i]` entries each (files, a few empty directories), names of 1–60 bytes. */
function sourceOf(sizes: readonly number[], nameLengths: readonly number[]): MemorySource {
  const s = new MemorySource();
  const dirs = sizes.map((n, d) => {
    const children: Node[] = [];
    for (let i = 0; i < n; i++) {
      const name = `${String(i).padStart(4, '0')}${'x'.repeat(nameLengths[(d + i) % nameLengths.length] ?? 0)}`;
      children.push(i % 7 === 3 ? dirNode(s, name, []) : fileNode(s, name, [Buffer.from(name)], { mtimeNs: BigInt(i) * 1_000_000_007n }));
    }
    return dirNode(s, `d${d}`, children);
  });
  s.addSnapshot(s.addTree(dirs), { time: '2024-01-01T00:00:00Z' });
  return s;
}

type Op =
  | { kind: 'list'; dir: number; from: 'next' | 'start' | number; size: number; plus: boolean }
  | { kind: 'tick' }
  | { kind: 'forget'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('list' as const),
      dir: fc.nat(3),
      from: fc.oneof(fc.constant('next' as const), fc.constant('start' as const), fc.nat(150)),
      size: fc.constantFrom(170, 480, 1000, 4096, 32768),
      plus: fc.boolean(),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ kind: fc.constant('tick' as const) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('forget' as const), pick: fc.nat() }), weight: 2 },
);

t.test('replies and references are those of the mount without listings encoded ahead', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.nat(140), { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(60), { minLength: 1, maxLength: 8 }),
      fc.array(op, { maxLength: 40 }),
      async (sizes, nameLengths, ops) => {
        const source = sourceOf(sizes, nameLengths);
        // Children are numbered in the order directories are first listed, which parts encoded ahead change:
        // the two mounts must agree on everything else and each keep one number per entry.
        const mounts = [fsFor(source, new ListingAhead()), fsFor(source, false)] as const;
        const numbers = [new Numbering(), new Numbering()];
        const dirs: number[][] = [[], []];
        for (const [m, fs] of mounts.entries()) {
          for (let d = 0; d < sizes.length; d++) dirs[m]?.push(await walk(fs, `${SNAPSHOT_DIR}/d${d}`));
        }
        const baseline = mounts[1].heldCount;
        const next = new Map<number, number>();
        /** The kernel's references from READDIRPLUS replies, by entry name. */
        const refs = new Map<string, number>();
        const forget = (name: string, count: number): void =>
          mounts.forEach((fs, m) => fs.forget((numbers[m] as Numbering).byName.get(name) as number, count));
        for (const o of ops) {
          if (o.kind === 'tick') await settled();
          else if (o.kind === 'forget') {
            const held = [...refs.keys()];
            const name = held[o.pick % Math.max(1, held.length)];
            if (name === undefined) continue;
            forget(name, 1);
            if ((refs.get(name) as number) > 1) refs.set(name, (refs.get(name) as number) - 1);
            else refs.delete(name);
          } else {
            const d = o.dir % sizes.length;
            const offset = o.from === 'next' ? (next.get(d) ?? 0) : o.from === 'start' ? 0 : o.from;
            const replies = [];
            for (const [m, fs] of mounts.entries()) {
              const ino = dirs[m]?.[d] as number;
              if (o.from === 'start') await value(fs.opendir(ino));
              const reply = parse(await sent(fs.readdir(ino, 0, offset, new DirentWriter(o.size, o.plus))));
              for (const e of reply.entries) if (e.next > 2 && !(numbers[m] as Numbering).note(`d${d}/${e.name}`, e.ino)) return false;
              replies.push(reply);
            }
            const [got, want] = replies as [ReturnType<typeof parse>, ReturnType<typeof parse>];
            if (!got.bytes.equals(want.bytes)) return false;
            next.set(d, want.entries.at(-1)?.next ?? offset);
            const children = want.entries.filter((e) => e.next > 2);
            if (o.plus) for (const e of children) refs.set(`d${d}/${e.name}`, (refs.get(`d${d}/${e.name}`) ?? 0) + 1);
          }
          if (mounts.some((fs) => fs.heldCount !== baseline + refs.size)) return false;
        }
        await settled();
        for (const [name, count] of refs) forget(name, count);
        return mounts.every((fs) => fs.heldCount === baseline);
      },
    ),
    { numRuns: 150 },
  );
});

t.test('a part encoded ahead serves its own request only', async (t) => {
  const ahead = new ListingAhead(2);
  const tree = 'a'.repeat(64) as BlobId;
  const part = (offset: number, size = 4096, plus = true): Parameters<ListingAhead['put']>[1] => ({
    tree,
    offset,
    out: new DirentWriter(size, plus),
    end: offset + 10,
  });
  for (const [what, args] of [
    ['another offset', [7, tree, 6, 4096, true]],
    ['another size', [7, tree, 5, 1024, true]],
    ['another kind', [7, tree, 5, 4096, false]],
    ['another tree', [7, 'b'.repeat(64), 5, 4096, true]],
    ['another directory', [8, tree, 5, 4096, true]],
  ] as const) {
    ahead.put(7, part(5));
    t.equal(ahead.take(...(args as [number, BlobId, number, number, boolean])), undefined, what);
    if (args[0] === 7) t.equal(ahead.take(7, tree, 5, 4096, true), undefined, `${what}: the part is dropped`);
    else t.ok(ahead.take(7, tree, 5, 4096, true), `${what}: the part is kept`);
  }
  ahead.put(1, part(5));
  ahead.put(2, part(5));
  ahead.put(3, part(5));
  t.equal(ahead.size, 2, 'bounded');
  t.equal(ahead.take(1, tree, 5, 4096, true), undefined, 'the oldest went first');
  t.equal(ahead.take(3, tree, 5, 4096, true)?.end, 15);

  const bytes = new ListingAhead(16, 10_000);
  bytes.put(1, part(5));
  bytes.put(2, part(5));
  t.equal(bytes.size, 2, 'two replies of 4,096 bytes fit in 10,000');
  bytes.put(3, part(5));
  t.equal(bytes.size, 2, 'a third does not');
  t.equal(bytes.take(1, tree, 5, 4096, true), undefined, 'the oldest went first');
  bytes.put(4, part(5, 9000));
  t.equal(bytes.size, 1, 'a large reply leaves room for itself alone');
  t.ok(bytes.take(4, tree, 5, 9000, true));
  bytes.put(5, part(5, 20_000));
  t.equal(bytes.size, 0, 'one larger than the bound is not kept');
});

t.test('opening a directory loads the trees of the next directories beside it', async (t) => {
  const s = new MemorySource();
  const children = Array.from({ length: 30 }, (_, i) =>
    i % 2 === 0 ? dirNode(s, `e${String(i).padStart(2, '0')}`, [baseNode('x')]) : baseNode(`e${String(i).padStart(2, '0')}`),
  );
  const parent = DirListing.from([...children].sort((a, b) => Buffer.compare(a.name, b.name)));
  const trees = new TreeCache(s, 1 << 20);
  trees.prefetchAfter(parent, 0);
  await settled();
  t.equal(s.treeLoads, 8, 'eight directories');
  for (let i = 2; i <= 16; i += 2) t.ok(trees.peek(parent.subtree(i) as BlobId), `e${i} loaded`);
  t.equal(trees.peek(parent.subtree(18) as BlobId), undefined, 'not further');
  trees.prefetchAfter(parent, 2);
  await settled();
  t.equal(s.treeLoads, 9, 'only the one not loaded yet');

  s.failing.add(parent.subtree(20) as BlobId);
  trees.prefetchAfter(parent, 17);
  await settled();
  s.failing.clear();
  t.ok(await trees.get(parent.subtree(20) as BlobId), 'a failed load ahead is tried again when asked for');

  const small = new TreeCache(s, 4096);
  await small.get(parent.subtree(0) as BlobId);
  const loads = s.treeLoads;
  small.prefetchAfter(parent, 0);
  await settled();
  t.equal(s.treeLoads, loads, 'nothing ahead where listings of that size would fill half the cache');
});

t.test('a listing read in parts through a mount with listings encoded ahead is whole and in order', async (t) => {
  const source = sourceOf([900, 900], [3, 40, 17]);
  const ahead = new ListingAhead();
  let used = 0;
  const take = ahead.take.bind(ahead);
  ahead.take = (...args) => {
    const part = take(...args);
    if (part !== undefined) used++;
    return part;
  };
  const fs = fsFor(source, ahead);
  const ino = await walk(fs, `${SNAPSHOT_DIR}/d0`);
  const seen: number[] = [];
  let offset = 0;
  let parts = 0;
  for (;;) {
    const out = await sent(fs.readdir(ino, 0, offset, new DirentWriter(4096, true)));
    const { entries } = parse(out);
    if (entries.length === 0) break;
    parts++;
    seen.push(...entries.map((e) => e.next));
    offset = entries.at(-1)?.next as number;
    await settled();
  }
  t.same(
    seen,
    Array.from({ length: 902 }, (_, i) => i + 1),
    'every entry once',
  );
  t.ok(parts > 10);
  t.equal(used, parts - 1, 'every part after the first was encoded ahead');
  t.equal(ahead.size, 0, 'none after the end');

  await value(fs.opendir(ino));
  await settled();
  const next = await walk(fs, `${SNAPSHOT_DIR}/d1`);
  const first = parse(await sent(fs.readdir(next, 0, 0, new DirentWriter(4096, true))));
  t.equal(used, parts, 'the start of the directory beside was encoded when this one was opened');
  t.same(
    first.entries.map((e) => e.next),
    Array.from({ length: first.entries.length }, (_, i) => i + 1),
  );
  t.equal(first.entries[0]?.ino, next, 'numbered as its lookup numbers it');
});
