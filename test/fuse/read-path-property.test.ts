import t from 'tap';
import fc from 'fast-check';
import type { BlobId } from '../../src/core/ids.js';
import { BlobCache } from '../../src/fuse/blob-cache.js';
import { EntryResolver } from '../../src/fuse/entry-resolver.js';
import { ChunkReader } from '../../src/fuse/chunk-reader.js';
import { InodeTable } from '../../src/fuse/inode-table.js';
import { SnapshotCatalog } from '../../src/fuse/snapshot-catalog.js';
import { SnapshotFs } from '../../src/fuse/snapshot-fs.js';
import type { BlobRun } from '../../src/fuse/snapshot-source.js';
import { TreeCache } from '../../src/fuse/tree-cache.js';
import type { EntryReply } from '../../src/fuse/kernel/wire.js';
import { dirNode, fileNode, MemorySource, pseudoRandom } from './memory-source.js';

/**
 * The mount's read path (SnapshotFs, ChunkReader, BlobCache) against a model: every file's bytes. The source
 * answers fetches only when an action says so, in any order, or fails them; the cache is small, so runs are
 * evicted while reads wait on others. Every byte handed out (a read's reply, a page-cache push) must be the
 * file's at that offset, when it is handed out and still at the end.
 */

/** A source whose fetches wait until the test completes or fails them; runs are the blobs stored after one. */
class ControlledSource extends MemorySource {
  readonly order: BlobId[] = [];
  readonly pending: { done: () => void; fail: () => void }[] = [];
  runCap = 1;

  override readBlob(id: BlobId): Promise<Uint8Array> {
    return this.defer(() => Uint8Array.from(this.bytesOf(id)));
  }

  readRun(id: BlobId, maxBytes: number): Promise<BlobRun> {
    return this.defer(() => {
      const from = this.order.indexOf(id);
      const ids = [id];
      let total = this.bytesOf(id).byteLength;
      for (
        let i = from + 1;
        i < this.order.length && total + this.bytesOf(this.order[i]!).byteLength <= Math.min(maxBytes, this.runCap);
        i++
      ) {
        ids.push(this.order[i]!);
        total += this.bytesOf(this.order[i]!).byteLength;
      }
      const out = new Uint8Array(total);
      let at = 0;
      const blobs = ids.map((b) => {
        const d = this.bytesOf(b);
        out.set(d, at);
        return [b, out.subarray(at, (at += d.byteLength))] as const;
      });
      const next = this.order[from + ids.length];
      return next === undefined ? { blobs } : { blobs, next };
    });
  }

  private bytesOf(id: BlobId): Uint8Array {
    const b = this.blobs.get(id);
    if (b === undefined) throw new Error(`no blob ${id}`);
    return typeof b === 'function' ? b() : b;
  }

  private defer<T>(make: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push({ done: () => resolve(make()), fail: () => reject(new Error('injected failure')) });
    });
  }
}

type Action =
  | { kind: 'lookup'; file: number }
  | { kind: 'forget'; file: number }
  | { kind: 'read'; file: number; pos: number; len: number }
  | { kind: 'complete'; pick: number }
  | { kind: 'fail'; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constantFrom('lookup' as const, 'forget' as const), file: fc.nat(11) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      file: fc.nat(11),
      pos: fc.nat(12_000),
      len: fc.integer({ min: 1, max: 6000 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('fail' as const), pick: fc.nat() }), weight: 1 },
);

/** Twelve files: one-blob files and files of several chunks, their blobs stored in file order. */
function build(seed: number): { source: ControlledSource; contents: Uint8Array[] } {
  const source = new ControlledSource();
  const contents: Uint8Array[] = [];
  const files = Array.from({ length: 12 }, (_, i) => {
    const sizes = i % 3 === 0 ? [700 + i * 13, 1, 2500, 900 + i] : [300 + ((seed + i * 977) % 3000)];
    const data = pseudoRandom(
      sizes.reduce((a, b) => a + b, 0),
      seed + i + 1,
    );
    contents.push(data);
    let at = 0;
    const node = fileNode(
      source,
      `f${i}`,
      sizes.map((n) => data.subarray(at, (at += n))),
    );
    source.order.push(...(node.content ?? []));
    return node;
  });
  source.addSnapshot(source.addTree([dirNode(source, 'd', files)]), { time: '2024-01-01T00:00:00Z' });
  return { source, contents };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function value<T>(r: T | number | Promise<T | number>): Promise<T> {
  const v = await r;
  if (typeof v === 'number') throw new Error(`errno ${v}`);
  return v;
}

interface Handed {
  readonly file: number;
  readonly pos: number;
  readonly parts: readonly Uint8Array[];
}

async function runActions(seed: number, cacheBytes: number, runCap: number, actions: readonly Action[]): Promise<string | undefined> {
  const { source, contents } = build(seed);
  source.runCap = runCap;
  const catalog = new SnapshotCatalog(source, 5000, () => undefined);
  const resolver = new EntryResolver(catalog, new TreeCache(source, 1000), new InodeTable());
  const blobs = new BlobCache(source, cacheBytes, 3);
  const fs = new SnapshotFs({ resolver, catalog, reader: new ChunkReader(blobs, 2), blobs, log: () => undefined, xattrs: false });
  const handed: Handed[] = [];
  const fileOfIno = new Map<number, number>();
  let wrong: string | undefined;
  const check = (h: Handed, when: string): void => {
    const got = Buffer.concat(h.parts);
    const want = contents[h.file]!.subarray(h.pos, h.pos + got.length);
    if (wrong === undefined && !got.equals(want)) wrong = `${when}: file ${h.file} at ${h.pos}, ${got.length} bytes differ`;
  };
  const dir = (
    await value(
      fs.lookup(
        (await value(fs.lookup((await value(fs.lookup(1, Buffer.from('snapshots')))).attr.ino, Buffer.from('2024-01-01T00:00:00')))).attr
          .ino,
        Buffer.from('d'),
      ),
    )
  ).attr.ino;
  const inoOf = async (file: number): Promise<number> => {
    const e = await value<EntryReply>(fs.lookup(dir, Buffer.from(`f${file}`)));
    fileOfIno.set(e.attr.ino, file);
    return e.attr.ino;
  };
  // Every file's number, known before any push can name it; then the kernel holds none of them.
  for (let file = 0; file < contents.length; file++) fs.forget(await inoOf(file), 1);
  fs.pushTo({
    store: (ino, offset, data) => {
      const file = fileOfIno.get(ino);
      const h = { file: file ?? -1, pos: offset, parts: [Uint8Array.from(data)] };
      if (file === undefined) wrong ??= `a push to ino ${ino}, which is no file`;
      else if (offset + data.byteLength > contents[file]!.byteLength) wrong ??= `a push past the end of file ${file}`;
      else check(h, 'page-cache push');
      handed.push({ ...h, parts: [data] });
    },
  });
  const reads: Promise<unknown>[] = [];
  for (const a of actions) {
    if (a.kind === 'lookup') await inoOf(a.file);
    else if (a.kind === 'forget') fs.forget(await inoOf(a.file), 2);
    else if (a.kind === 'read') {
      const ino = await inoOf(a.file);
      const r = Promise.resolve(fs.read(ino, a.pos, a.len)).then((parts) => {
        if (typeof parts === 'number') return;
        const h = { file: a.file, pos: a.pos, parts };
        check(h, 'read reply');
        handed.push(h);
      });
      reads.push(r);
      fs.forget(ino, 1);
    } else {
      const p = source.pending.splice(a.pick % Math.max(1, source.pending.length), 1)[0];
      if (a.kind === 'complete') p?.done();
      else p?.fail();
    }
    await flush();
  }
  for (let rounds = 0; source.pending.length > 0 && rounds < 10_000; rounds++) {
    source.pending.shift()?.done();
    await flush();
  }
  await Promise.all(reads);
  for (const h of handed) check(h, 'at the end, a byte handed out earlier');
  return wrong;
}

t.test('any interleaving of reads, lookups, forgets, fetch completions and failures hands out only the file bytes', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat(1000),
      fc.integer({ min: 1, max: 24_000 }),
      fc.integer({ min: 1, max: 16_000 }),
      fc.array(action, { minLength: 1, maxLength: 80 }),
      async (seed, cacheBytes, runCap, actions) => (await runActions(seed, cacheBytes, runCap, actions)) === undefined,
    ),
    { numRuns: 300 },
  );
  t.pass('held for every generated interleaving');
});

t.test('the cache stays within its bytes (plus the newest entry) however runs overlap', async (t) => {
  const source = new ControlledSource();
  for (let i = 0; i < 200; i++) source.order.push(source.addBlob(pseudoRandom(100 + (i % 7) * 50, i + 1)));
  source.runCap = 1500;
  const cache = new BlobCache(source, 4000, 4);
  const gets = source.order.map((id, i) => cache.get(id, i % 2 ? 'ahead' : 'read'));
  await flush();
  while (source.pending.length > 0) {
    source.pending.pop()?.done();
    await flush();
    t.ok(cache.heldBytes <= 4000 + 1500, `held ${cache.heldBytes}`);
  }
  const got = await Promise.all(gets);
  t.ok(
    got.every((data, i) => Buffer.from(data).equals(Buffer.from(source.blobs.get(source.order[i]!) as Uint8Array))),
    'every blob its own bytes',
  );
});
