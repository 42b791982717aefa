/** The size bounds of FORMAT.md, in process: checked before anything is read or allocated, and writers kept within them. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import type { Backend, ObjectInfo } from '../../src/backend/backend.js';
import { getBounded } from '../../src/backend/get-bounded.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { INDEX_FILE_BLOBS, MAX_INDEX_FILE_BYTES, indexBatches, readIndexBody } from '../../src/cas/index-file.js';
import { HEADER_ENTRY, MAX_PACK_BLOBS, decodePackHeader, encodePackHeader } from '../../src/cas/pack-header.js';
import { readPackHeader, TAIL_GUESS } from '../../src/cas/pack-reader.js';
import { MAX_SEALED_HEADER, sealedHeaderLength } from '../../src/cas/pack-tail.js';
import { MsgReader } from '../../src/codec/msgpack-reader.js';
import { unpackMsg } from '../../src/codec/msgpack.js';
import type { BlobId, PackId, SnapshotId } from '../../src/core/ids.js';
import type { ByteRange } from '../../src/core/types.js';
import { BlobType, PackKind } from '../../src/core/types.js';
import { Sealer } from '../../src/crypto/sealer.js';
import { repairSnapshots } from '../../src/lifecycle/repair-snapshots.js';
import { MAX_CONFIG_BYTES, loadConfig } from '../../src/repo/config.js';
import { MAX_SNAPSHOT_BYTES, listSnapshots, saveSnapshot } from '../../src/repo/snapshots.js';
import { makePack } from '../cas/index-arbitraries.js';
import { memoryRepo, writeSnapshot } from '../lifecycle/repo-fixture.js';

const HUGE = 3 * 2 ** 30;
const ID = 'ab'.repeat(32);

/** A backend whose every object claims `size` bytes; it records the ranges asked for and serves `tail` at the end. */
function claiming(size: number, tail: Uint8Array = new Uint8Array(0)): Backend & { readonly asked: (ByteRange | undefined)[] } {
  const asked: (ByteRange | undefined)[] = [];
  const info = (name: string): ObjectInfo => ({ name, size, mtimeMs: 0 });
  return {
    location: 'claiming',
    asked,
    async *list() {},
    stat: async (name) => info(name),
    get: async (_name, range) => {
      asked.push(range);
      if (range === undefined || range.length > 64 * 1024 * 1024) throw new Error(`would read ${range?.length ?? size} bytes`);
      const out = new Uint8Array(range.length);
      const tailAt = size - tail.length - range.offset;
      if (tailAt < range.length) out.set(tail.subarray(Math.max(0, -tailAt)), Math.max(0, tailAt));
      return out;
    },
    put: async () => undefined,
    rename: async () => undefined,
    delete: async () => undefined,
    close: async () => undefined,
  };
}

const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const sealer = new Sealer(randomBytes(32));

t.test('FORMAT.md figures', async (t) => {
  t.equal(MAX_SEALED_HEADER, 10_747_951, '§6: 47 + 41 · 2^18');
  t.equal(MAX_INDEX_FILE_BYTES, 33_554_432, '§7: 32 MiB');
  t.ok(5 + 90 * Math.max(INDEX_FILE_BLOBS, MAX_PACK_BLOBS) + 41 <= MAX_INDEX_FILE_BYTES, '§7: writers stay below the bound');
  t.equal(MAX_CONFIG_BYTES, 65_536);
  t.equal(MAX_SNAPSHOT_BYTES, 16 * 1024 * 1024);
});

t.test('a whole read of an oversized object is refused on its size, before any byte is read', async (t) => {
  const b = claiming(HUGE);
  await t.rejects(getBounded(b, 'snapshots/x', 1024), { code: 'CorruptData', message: /snapshots\/x \(3221225472 bytes, over the 1024/ });
  await t.rejects(loadConfig(b, sealer), { code: 'CorruptData', message: /^config \(/ });
  await t.rejects(readIndexBody(b, sealer, ID), { code: 'CorruptData', message: new RegExp(`index/${ID}`) });
  t.same(b.asked, [], 'nothing read');
  const m = new MemoryBackend();
  await m.put('locks/a', Uint8Array.of(1, 2, 3));
  t.same(await getBounded(m, 'locks/a', 3), Uint8Array.of(1, 2, 3));
  t.same(await getBounded(m, 'locks/a', 3, 2), Uint8Array.of(1, 2), 'a listed size is read, no more');
  await t.rejects(getBounded(m, 'locks/b', 3), { code: 'NotFound' });
});

t.test('a pack tail claiming a header past the bound is corrupt after one 64 KiB read', async (t) => {
  for (const [len, size] of [
    [HUGE, HUGE + 8],
    [0xffff_ffff, HUGE],
    [MAX_SEALED_HEADER + HEADER_ENTRY, HUGE],
    [100, 1000],
    [0, 1000],
  ] as const) {
    const b = claiming(size, u32(len));
    await t.rejects(readPackHeader(b, sealer, ID as PackId), { code: 'CorruptData' }, `length ${len} in a pack of ${size}`);
    const guess = Math.min(size, TAIL_GUESS);
    t.same(b.asked, [{ offset: size - guess, length: guess }]);
  }
  t.equal(sealedHeaderLength(u32(MAX_SEALED_HEADER), HUGE), MAX_SEALED_HEADER);
  t.throws(() => sealedHeaderLength(u32(MAX_SEALED_HEADER - 1), HUGE), { message: /header length \d+ is no whole number/ });
});

t.test('a pack holds at most MAX_PACK_BLOBS blobs', async (t) => {
  const entry = { id: ID as BlobId, type: BlobType.data, length: 50, rawLength: 9 };
  const blobs = new Array(MAX_PACK_BLOBS + 1).fill(entry);
  t.throws(() => encodePackHeader({ kind: PackKind.normal, blobs }), { code: 'InvalidArgument' });
  const header = encodePackHeader({ kind: PackKind.normal, blobs: blobs.slice(1) });
  t.equal(decodePackHeader(header).blobs.length, MAX_PACK_BLOBS);
  const claimsMore = Uint8Array.from(header);
  claimsMore.set(u32(MAX_PACK_BLOBS + 1), 2);
  t.throws(() => decodePackHeader(claimsMore), { code: 'CorruptData', message: /262145 blobs/ });
});

t.test('index batches: at most INDEX_FILE_BLOBS blobs, a larger pack alone', async (t) => {
  const sizes = (packs: ReturnType<typeof makePack>[]): number[][] => indexBatches(packs, 10).map((b) => b.map((p) => p.blobs.length));
  t.same(sizes([makePack(4), makePack(6), makePack(1), makePack(12), makePack(3)]), [[4, 6], [1], [12], [3]]);
  t.same(indexBatches([]), []);
});

t.test('msgpack lengths are bounded by the bytes left before anything is built', async (t) => {
  const fail = (what: string): Error => Object.assign(new Error(what), { code: 'Bad' });
  const cases = [
    Buffer.from('ddffffffff01', 'hex'),
    Buffer.from('dc0005010203', 'hex'),
    Buffer.from('de0003a16101', 'hex'),
    Buffer.from('df7fffffff', 'hex'),
  ];
  for (const bytes of cases.slice(0, 2)) t.throws(() => new MsgReader(bytes, fail).arrayHeader('a'), { code: 'Bad' });
  for (const bytes of cases.slice(2)) t.throws(() => new MsgReader(bytes, fail).mapHeader('m'), { code: 'Bad' });
  for (const bytes of cases) t.throws(() => new MsgReader(bytes, fail).skipValue('v'), { code: 'Bad' });
  t.equal(new MsgReader(Buffer.from('dc0003010203', 'hex'), fail).arrayHeader('a'), 3);
  for (const bytes of [...cases, Buffer.alloc(100_000, 0x91), Buffer.from('0102', 'hex'), Buffer.alloc(0)]) {
    t.throws(() => unpackMsg(bytes, 'thing'), { code: 'CorruptData', message: /^thing \(/ });
  }
});

t.test('snapshot records: bounded, unreadable ones reported or thrown, others listed', async (t) => {
  const { repo, backend, done } = await memoryRepo();
  t.teardown(done);
  const a = await writeSnapshot(repo, new Map([['a', Buffer.from('a')]]));
  const b = await writeSnapshot(repo, new Map([['b', Buffer.from('b')]]));
  const stored = await backend.get(`snapshots/${b}`);
  stored[10] = stored[10]! ^ 1;
  await backend.put(`snapshots/${b}`, stored);
  await backend.put('snapshots/not-an-id', Uint8Array.of(1));
  await t.rejects(listSnapshots(repo), { code: 'CorruptData', message: new RegExp(`snapshots/${b}`) });
  const bad: SnapshotId[] = [];
  t.same(
    (await listSnapshots(repo, (id) => bad.push(id))).map((s) => s.id),
    [a],
    'the readable one; a name that is no id is no snapshot',
  );
  t.same(bad, [b]);
  // Random characters: zstd cannot bring them under the bound.
  const big = randomBytes(MAX_SNAPSHOT_BYTES + 1024).toString('latin1');
  await t.rejects(saveSnapshot(repo, { time: 'x', hostname: 'h', username: 'u', paths: [big], tags: [], tree: ID as BlobId }), {
    code: 'InvalidArgument',
  });
  const dry = await repairSnapshots(repo, { dryRun: true });
  t.match(dry, [{ old: b, lost: true, dropped: [/snapshot record itself/] }]);
  await repairSnapshots(repo, { forget: true });
  t.same(
    (await listSnapshots(repo)).map((s) => s.id),
    [a],
    '--forget removed the unreadable record',
  );
});
