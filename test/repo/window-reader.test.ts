import t from 'tap';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { FaultyBackend } from '../../src/backend/faulty.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { packName } from '../../src/cas/pack-path.js';
import type { PackId } from '../../src/core/ids.js';
import { BlobType, PackKind, type BlobLocation } from '../../src/core/types.js';
import { WindowReader } from '../../src/repo/window-reader.js';

const MiB = 1024 * 1024;
const NORMAL = 'a'.repeat(64) as PackId;
const LARGE = 'b'.repeat(64) as PackId;

async function setup(): Promise<{ backend: FaultyBackend; reader: WindowReader; normal: Buffer; large: Buffer }> {
  const mem = new MemoryBackend();
  const normal = randomBytes(3 * MiB);
  const large = randomBytes(120 * MiB);
  await mem.put(packName(NORMAL), normal);
  await mem.put(packName(LARGE), large);
  const backend = new FaultyBackend(mem);
  const sizes = new Map([
    [NORMAL, { kind: PackKind.normal, size: normal.length }],
    [LARGE, { kind: PackKind.degenerate, size: large.length }],
  ]);
  return { backend, reader: new WindowReader(backend, { packInfo: (id) => sizes.get(id) }), normal, large };
}

const loc = (pack: PackId, offset: number, length: number): BlobLocation => ({
  pack,
  type: BlobType.data,
  offset,
  length,
  rawLength: length,
});
const gets = (b: FaultyBackend): number => b.count('get');

t.test('a small pack is fetched whole once and serves all its blobs', async (t) => {
  const { backend, reader, normal } = await setup();
  for (let off = 0; off < 3 * MiB - 4096; off += 100_000) {
    t.same(await reader.read(loc(NORMAL, off, 4096)), normal.subarray(off, off + 4096));
  }
  t.equal(gets(backend), 1);
});

t.test('a sequential read of a degenerate pack costs a few large GETs', async (t) => {
  const { backend, reader, large } = await setup();
  const chunk = 2 * MiB;
  for (let off = 0; off + chunk <= large.length; off += chunk) {
    const got = await reader.read(loc(LARGE, off, chunk));
    if (!Buffer.from(got).equals(large.subarray(off, off + chunk))) t.fail(`bytes at ${off}`);
  }
  t.equal(gets(backend), 3, '8 + 32 + 80 MiB: no short last window');
});

t.test('a random read in the middle costs one chunk', async (t) => {
  const { backend, reader, large } = await setup();
  const off = 50 * MiB + 12345;
  t.ok(Buffer.from(await reader.read(loc(LARGE, off, 2 * MiB))).equals(large.subarray(off, off + 2 * MiB)));
  t.equal(gets(backend), 1);
  t.equal(backend.calls[0]!.range!.length, 2 * MiB, 'only that chunk');
});

t.test('a failed fetch is not cached', async (t) => {
  const { backend, reader, normal } = await setup();
  backend.addRule({ op: 'get', action: 'fail', nth: 1 });
  await t.rejects(reader.read(loc(NORMAL, 0, 100)));
  t.same(await reader.read(loc(NORMAL, 0, 100)), normal.subarray(0, 100));
});

t.test('a read-ahead a few chunks past the last window continues it from its end (the gap is not fetched apart)', async (t) => {
  const { backend, reader, large } = await setup();
  await reader.read(loc(LARGE, 0, MiB));
  t.equal(gets(backend), 1);
  const ahead = 8 * MiB + 3 * MiB;
  t.ok(Buffer.from(await reader.read(loc(LARGE, ahead, MiB))).equals(large.subarray(ahead, ahead + MiB)));
  t.equal(gets(backend), 2);
  t.equal(backend.calls[1]!.range!.offset, 8 * MiB, 'starts where the first window ended');
  t.ok(Buffer.from(await reader.read(loc(LARGE, 8 * MiB, MiB))).equals(large.subarray(8 * MiB, 9 * MiB)));
  t.equal(gets(backend), 2, 'the chunks in between come from that window');
});

t.test('a degenerate pack no larger than a first window is fetched whole, wherever the first read is', async (t) => {
  const mem = new MemoryBackend();
  const small = randomBytes(5 * MiB);
  await mem.put(packName(LARGE), small);
  const backend = new FaultyBackend(mem);
  const reader = new WindowReader(backend, { packInfo: () => ({ kind: PackKind.degenerate, size: small.length }) });
  t.ok(Buffer.from(await reader.read(loc(LARGE, 3 * MiB, MiB))).equals(small.subarray(3 * MiB, 4 * MiB)));
  t.ok(Buffer.from(await reader.read(loc(LARGE, 0, MiB))).equals(small.subarray(0, MiB)));
  t.equal(gets(backend), 1);
  t.same(backend.calls[0]!.range, { offset: 0, length: small.length });
});

t.test('a window evicted before it was read through is resumed at its size, not begun again small', async (t) => {
  const mem = new MemoryBackend();
  const [a, b] = [randomBytes(40 * MiB), randomBytes(40 * MiB)];
  const OTHER = 'c'.repeat(64) as PackId;
  await mem.put(packName(LARGE), a);
  await mem.put(packName(OTHER), b);
  const backend = new FaultyBackend(mem);
  const reader = new WindowReader(backend, { packInfo: () => ({ kind: PackKind.degenerate, size: 40 * MiB }) }, { cacheBytes: 9 * MiB });
  await reader.read(loc(LARGE, 0, MiB)); // the first window, 8 MiB (a file's first chunk read ahead)
  await reader.read(loc(OTHER, 0, MiB)); // another file's window evicts it
  const before = gets(backend);
  t.ok(Buffer.from(await reader.read(loc(LARGE, MiB, MiB))).equals(a.subarray(MiB, 2 * MiB)));
  t.equal(gets(backend), before + 1);
  t.same(backend.calls.at(-1)!.range, { offset: MiB, length: 8 * MiB }, 'from the chunk on, as large as the evicted window');
});

t.test('whole small packs are kept apart from degenerate windows', async (t) => {
  const mem = new MemoryBackend();
  const [normal, large] = [randomBytes(3 * MiB), randomBytes(40 * MiB)];
  await mem.put(packName(NORMAL), normal);
  await mem.put(packName(LARGE), large);
  const backend = new FaultyBackend(mem);
  const sizes = new Map([
    [NORMAL, { kind: PackKind.normal, size: normal.length }],
    [LARGE, { kind: PackKind.degenerate, size: large.length }],
  ]);
  const reader = new WindowReader(backend, { packInfo: (id) => sizes.get(id) }, { cacheBytes: 10 * MiB, packCacheBytes: 4 * MiB });
  await reader.read(loc(NORMAL, 0, 100));
  for (let off = 0; off + 2 * MiB <= large.length; off += 2 * MiB) await reader.read(loc(LARGE, off, 2 * MiB));
  const before = gets(backend);
  t.same(await reader.read(loc(NORMAL, MiB, 100)), normal.subarray(MiB, MiB + 100));
  t.equal(gets(backend), before, 'streaming a large file did not evict the small pack');
});

t.test('a small pack evicted whole and needed again is read in windows from the blob on, not whole again', async (t) => {
  let bytesRead = 0;
  const mem = new (class extends MemoryBackend {
    override async get(name: string, range?: { offset: number; length: number }): Promise<Uint8Array> {
      const got = await super.get(name, range);
      bytesRead += got.length;
      return got;
    }
  })();
  const packs = ['c', 'd', 'e'].map((c) => c.repeat(64) as PackId);
  const bytes = packs.map(() => randomBytes(6 * MiB));
  const sizes = new Map(packs.map((p) => [p, { kind: PackKind.normal, size: 6 * MiB }]));
  for (const [i, p] of packs.entries()) await mem.put(packName(p), bytes[i] ?? Buffer.alloc(0));
  const backend = new FaultyBackend(mem);
  const reader = new WindowReader(backend, { packInfo: (id) => sizes.get(id) }, { packCacheBytes: 13 * MiB });
  const [c, d, e] = packs as [PackId, PackId, PackId];
  const want = (p: number, off: number, n: number): Buffer => bytes[p]?.subarray(off, off + n) ?? Buffer.alloc(0);
  t.same(await reader.read(loc(c, 0, 100)), want(0, 0, 100));
  t.same(await reader.read(loc(d, 0, 100)), want(1, 0, 100));
  t.same(await reader.read(loc(e, 0, 100)), want(2, 0, 100), 'the third pack evicts the first');
  const before = { gets: gets(backend), bytes: bytesRead };
  t.same(await reader.read(loc(c, 3 * MiB, 5000)), want(0, 3 * MiB, 5000));
  t.same(await reader.read(loc(c, 3 * MiB + 5000, 5000)), want(0, 3 * MiB + 5000, 5000), 'the next blob is in that window');
  t.equal(gets(backend) - before.gets, 1, 'one GET');
  t.equal(bytesRead - before.bytes, 2 * MiB, 'of a 2 MiB window, not the 6 MiB pack');
  t.same(await reader.read(loc(c, 6 * MiB - 10, 10)), want(0, 6 * MiB - 10, 10), 'a window ends with its pack');
});

t.test('any order, concurrently, with small packs evicted and read again in windows: every blob is the pack bytes', async (t) => {
  const mem = new MemoryBackend();
  const packs = ['1', '2', '3', '4'].map((c) => c.repeat(64) as PackId);
  const bytes = new Map(packs.map((p) => [p, randomBytes(3 * MiB)]));
  for (const [p, b] of bytes) await mem.put(packName(p), b);
  const sizes = new Map(packs.map((p) => [p, { kind: PackKind.normal, size: 3 * MiB }]));
  const blob = fc.record({
    pack: fc.constantFrom(...packs),
    offset: fc.integer({ min: 0, max: 3 * MiB - 1 }),
    length: fc.integer({ min: 1, max: 300_000 }),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(blob, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 }), async (rounds) => {
      const reader = new WindowReader(mem, { packInfo: (id) => sizes.get(id) }, { packCacheBytes: 7 * MiB, cacheBytes: 5 * MiB });
      for (const round of rounds) {
        const got = await Promise.all(round.map((b) => reader.read(loc(b.pack, b.offset, Math.min(b.length, 3 * MiB - b.offset)))));
        round.forEach((b, i) => {
          const want = bytes.get(b.pack)?.subarray(b.offset, b.offset + Math.min(b.length, 3 * MiB - b.offset));
          if (!want || !Buffer.from(got[i] ?? []).equals(want)) throw new Error(`wrong bytes at ${b.pack.slice(0, 1)}:${b.offset}`);
        });
      }
    }),
    { numRuns: 60 },
  );
  t.pass('60 random sequences of concurrent reads');
});

t.test('degenerate packs read in any order, concurrently, through windows of any bound: every blob is the pack bytes', async (t) => {
  const mem = new MemoryBackend();
  const size = 20 * MiB;
  const packs = ['5', '6', '7'].map((c) => c.repeat(64) as PackId);
  const bytes = new Map(packs.map((p) => [p, randomBytes(size)]));
  for (const [p, b] of bytes) await mem.put(packName(p), b);
  const info = { kind: PackKind.degenerate, size };
  // A read goes on where the last read of its pack ended (sequential readers make windows grow) or lands anywhere.
  const read = fc.record({
    pack: fc.constantFrom(...packs),
    goesOn: fc.boolean(),
    offset: fc.integer({ min: 0, max: size - 1 }),
    length: fc.integer({ min: 1, max: 3 * MiB }),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(1, 2, 4, 8, 64),
      fc.integer({ min: 4, max: 24 }),
      fc.array(fc.array(read, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 10 }),
      async (maxWindowMiB, cacheMiB, rounds) => {
        const opts = { maxWindow: maxWindowMiB * MiB, cacheBytes: cacheMiB * MiB };
        const reader = new WindowReader(mem, { packInfo: () => info }, opts);
        const ends = new Map<PackId, number>();
        for (const round of rounds) {
          const locs = round.map((r) => {
            const offset = r.goesOn ? (ends.get(r.pack) ?? 0) % size : r.offset;
            const length = Math.min(r.length, size - offset);
            ends.set(r.pack, offset + length);
            return loc(r.pack, offset, length);
          });
          const got = await Promise.all(locs.map((l) => reader.read(l)));
          locs.forEach((l, i) => {
            const want = bytes.get(l.pack)?.subarray(l.offset, l.offset + l.length);
            if (!want || !Buffer.from(got[i] ?? []).equals(want)) throw new Error(`wrong bytes at ${l.pack.slice(0, 1)}:${l.offset}`);
          });
        }
      },
    ),
    { numRuns: 60 },
  );
  t.pass('60 random sequences of concurrent reads');
});
