import t from 'tap';
import { BlobCache } from '../../src/fuse/blob-cache.js';
import { FetchLimiter } from '../../src/fuse/fetch-limiter.js';
import { chunkAt, ChunkReader, newReadState } from '../../src/fuse/chunk-reader.js';
import type { BlobId } from '../../src/core/ids.js';
import type { BlobRun } from '../../src/fuse/snapshot-source.js';
import { fileNode, MemorySource, pseudoRandom, settled } from './memory-source.js';

const KiB = 1024;

function setup(chunkSizes: number[], cacheBytes = 64 * 1024 * KiB) {
  const source = new MemorySource();
  const data = pseudoRandom(
    chunkSizes.reduce((a, b) => a + b, 0),
    3,
  );
  const chunks: Uint8Array[] = [];
  let pos = 0;
  for (const size of chunkSizes) {
    chunks.push(data.subarray(pos, pos + size));
    pos += size;
  }
  const node = fileNode(source, 'f', chunks);
  const reader = new ChunkReader(new BlobCache(source, cacheBytes, 2), 2);
  return { source, data, node, reader };
}

/** The bytes a read returns, joined. */
const bytes = async (parts: Uint8Array[] | Promise<Uint8Array[]>): Promise<Buffer> => Buffer.concat(await parts);

t.test('chunkAt is a binary search over chunk ends', async (t) => {
  const ends = new Float64Array([10, 20, 20, 35]);
  t.same(
    [0, 9, 10, 19, 20, 34, 35, 99].map((p) => chunkAt(ends, p)),
    [0, 0, 1, 1, 3, 3, 4, 4],
  );
});

t.test('reads spanning chunk boundaries return the right bytes', async (t) => {
  const { data, node, reader } = setup([100, 50, 0, 200, 7]);
  for (const [pos, len] of [
    [0, 357],
    [90, 20],
    [149, 2],
    [150, 10],
    [350, 100],
    [357, 10],
    [1000, 5],
  ] as const) {
    t.same(await bytes(reader.read(node, newReadState(), len, pos)), Buffer.from(data.subarray(pos, pos + len)), `read ${len} at ${pos}`);
  }
});

t.test('sequential reads prefetch ahead; random reads fetch one chunk', async (t) => {
  const { source, node, reader } = setup(Array<number>(10).fill(64 * KiB));
  const state = newReadState();
  await reader.read(node, state, 4096, 0);
  await settled();
  t.equal(source.blobReads.length, 3, 'first chunk plus two ahead');
  t.notOk(reader.read(node, state, 4096, 4096) instanceof Promise, 'a cached chunk is read at once');
  await reader.read(node, state, 4096, 64 * KiB);
  await settled();
  t.equal(source.blobReads.length, 4, 'one more ahead, cached ones not fetched again');
  const random = newReadState();
  const before = source.blobReads.length;
  await reader.read(node, random, 100, 8 * 64 * KiB + 5);
  await reader.read(node, random, 100, 6 * 64 * KiB + 5);
  await settled();
  t.same(source.blobReads.slice(before), [node.content?.[8], node.content?.[6]]);
});

t.test('a blob of the wrong size is an error, and failures are not cached', async (t) => {
  const { source, node, reader } = setup([10]);
  const id = node.content?.[0];
  if (!id) throw new Error('no content');
  source.blobs.set(id, new Uint8Array(9));
  await t.rejects(async () => reader.read(node, newReadState(), 10, 0), { code: 'CorruptData' });
  const { source: s2, node: n2, reader: r2 } = setup([10]);
  const id2 = n2.content?.[0];
  if (!id2) throw new Error('no content');
  s2.failing.add(id2);
  await t.rejects(async () => r2.read(n2, newReadState(), 10, 0), /injected failure/);
  s2.failing.delete(id2);
  t.equal((await bytes(r2.read(n2, newReadState(), 10, 0))).length, 10);
});

t.test('the blob cache is bounded by bytes and shares concurrent fetches', async (t) => {
  const source = new MemorySource();
  const ids = [1, 2, 3].map((i) => source.addBlob(new Uint8Array(1000).fill(i)));
  const cache = new BlobCache(source, 2500, 4);
  const [a, b] = await Promise.all([cache.get(ids[0] as never), cache.get(ids[0] as never)]);
  t.equal(a, b);
  t.equal(source.blobReads.length, 1);
  await cache.get(ids[1] as never);
  await cache.get(ids[2] as never);
  t.notOk(cache.has(ids[0] as never), 'the least recently used blob was evicted');
  t.ok(cache.has(ids[2] as never));
});

/** A source that reads runs of consecutive blobs (as the repository does for small files). */
class RunSource extends MemorySource {
  readonly order: BlobId[] = [];
  readonly runs: BlobId[] = [];
  async readRun(id: BlobId, maxBytes: number): Promise<BlobRun> {
    this.runs.push(id);
    const from = this.order.indexOf(id);
    const blobs: [BlobId, Uint8Array][] = [];
    let bytes = 0;
    for (let i = from; i < this.order.length && (blobs.length === 0 || bytes + 1000 <= maxBytes); i++) {
      blobs.push([this.order[i] as BlobId, await this.readBlob(this.order[i] as BlobId)]);
      bytes += 1000;
    }
    const next = this.order[from + blobs.length];
    return next === undefined ? { blobs } : { blobs, next };
  }
}

t.test('runs: every blob of a run is cached; reading past the middle fetches the next run', async (t) => {
  const source = new RunSource();
  for (let i = 0; i < 10_000; i++) source.order.push(source.addBlob(new Uint8Array(1000).fill(i % 256)));
  const cache = new BlobCache(source, 64 * 1024 * 1024, 4);
  const ids = source.order;
  t.equal((await cache.get(ids[0] as BlobId))[0], 0);
  t.same(source.runs, [ids[0]], 'one run');
  const perRun = Math.floor((4 * 1024 * 1024) / 1000);
  t.ok(cache.peek(ids[perRun - 1] as BlobId), 'the whole run is cached');
  t.notOk(cache.peek(ids[perRun] as BlobId), 'not beyond it');
  cache.peek(ids[Math.floor(perRun / 2)] as BlobId);
  await settled();
  t.same(source.runs, [ids[0], ids[perRun]], 'the next run, from the middle of this one');
  t.ok(cache.peek(ids[perRun] as BlobId));
  const [a, b] = [cache.get(ids[9000] as BlobId), cache.get(ids[9001] as BlobId, 'neighbour')];
  await Promise.all([a, b]);
  t.equal(source.runs.filter((r) => r === ids[9001]).length, 0, 'a prefetch waits for the runs under way, which brought its blob');
  const liar = new RunSource();
  liar.order.push(liar.addBlob(new Uint8Array(1)), liar.addBlob(new Uint8Array(2)));
  liar.readRun = async () => ({ blobs: [[liar.order[1] as BlobId, new Uint8Array(2)]] });
  await t.rejects(new BlobCache(liar, 1000, 1).get(liar.order[0] as BlobId), /another run/);
});

t.test('runs: neighbours asked for at once decode each blob once, however many runs they need', async (t) => {
  // A copy out of the mount asks for the files after the one it reads (neighbours) all at once. Waiting on
  // the run under way, they must not each start a run when it ends: the next run covers most of them.
  const source = new RunSource();
  for (let i = 0; i < 20_000; i++) source.order.push(source.addBlob(new Uint8Array(1000).fill(i % 256)));
  const decoded = new Map<string, number>();
  const readRun = source.readRun.bind(source);
  source.readRun = async (id, maxBytes) => {
    const run = await readRun(id, maxBytes);
    for (const [blob] of run.blobs) decoded.set(blob, (decoded.get(blob) ?? 0) + 1);
    return run;
  };
  const cache = new BlobCache(source, 256 * 1024 * 1024, 4);
  const ids = source.order;
  const first = cache.get(ids[0]!);
  const neighbours = ids.slice(1, 15_000).map((id) => cache.get(id, 'neighbour'));
  await Promise.all([first, ...neighbours]);
  const twice = [...decoded.values()].filter((n) => n > 1).length;
  t.equal(twice, 0, 'no blob decoded twice');
  t.ok(source.runs.length <= Math.ceil(15_000 / Math.floor((4 * 1024 * 1024) / 1000)) + 1, `${source.runs.length} runs`);
});

t.test('the limiter bounds concurrency and serves demand before prefetch', async (t) => {
  const limiter = new FetchLimiter(1);
  const order: string[] = [];
  let active = 0;
  let peak = 0;
  const job = (name: string) => async () => {
    active++;
    peak = Math.max(peak, active);
    await settled();
    order.push(name);
    active--;
  };
  await Promise.all([limiter.run(job('first'), false), limiter.run(job('ahead'), true), limiter.run(job('demand'), false)]);
  t.equal(peak, 1);
  t.same(order, ['first', 'demand', 'ahead']);
});
