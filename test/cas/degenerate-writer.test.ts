import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { DegeneratePackWriter } from '../../src/cas/degenerate-writer.js';
import { packName } from '../../src/cas/pack-path.js';
import { readBlob, readPack, readPackHeader } from '../../src/cas/pack-reader.js';
import type { Backend, ObjectInfo, PutSource } from '../../src/backend/backend.js';
import { FaultyBackend } from '../../src/backend/faulty.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import { BlobType, PackKind } from '../../src/core/types.js';
import { FakeBackend } from './fake-backend.js';
import { fakeSealer } from './pack-fake-sealer.js';
import { blobId, openBlob, sameBytes, sealBlob } from './pack-fixtures.js';

const fixedRandom = () => new Uint8Array(32).fill(0xaa);

async function addChunk(w: DegeneratePackWriter, plain: Uint8Array): Promise<void> {
  const id = blobId(plain);
  await w.add(id, BlobType.data, sealBlob(fakeSealer, id, plain), plain.length);
}

t.test('streams many chunks to tmp/ and renames to packs/<hh>/<id>', async (t) => {
  const backend = new FakeBackend();
  const w = new DegeneratePackWriter(backend, fakeSealer, { random: fixedRandom });
  t.equal(w.tmpName, `tmp/${'aa'.repeat(32)}`);
  const plains = Array.from({ length: 300 }, (_, i) => randomBytes(100 + ((i * 7919) % 5000)));
  for (const p of plains) await addChunk(w, p);
  const desc = await w.finish();
  t.same(backend.names(), [packName(desc.id)]);
  t.equal(desc.kind, PackKind.degenerate);
  t.equal(desc.blobs.length, plains.length);
  t.same(await readPackHeader(backend, fakeSealer, desc.id), desc);
  t.same((await readPack(backend, fakeSealer, desc.id)).description, desc);
  for (const [i, b] of desc.blobs.entries()) {
    const sealed = await readBlob(backend, { pack: desc.id, ...b });
    t.ok(sameBytes(openBlob(fakeSealer, b.id, sealed), plains[i]));
  }
  await t.rejects(w.add(blobId(plains[0]!), BlobType.data, new Uint8Array(41), 1), { code: 'InvalidArgument' });
});

t.test('works over the shared MemoryBackend', async (t) => {
  const backend = new MemoryBackend();
  const w = new DegeneratePackWriter(backend, fakeSealer);
  for (let i = 0; i < 20; i++) await addChunk(w, randomBytes(1000));
  const desc = await w.finish();
  t.same((await readPack(backend, fakeSealer, desc.id)).description, desc);
  const names: string[] = [];
  for await (const o of backend.list('')) names.push(o.name);
  t.same(names, [packName(desc.id)]);
});

t.test('the producer waits for a slow backend: at most maxQueued blobs wait', async (t) => {
  const backend = new FakeBackend();
  let maxSeen = 0;
  const w = new DegeneratePackWriter(backend, fakeSealer);
  backend.onPiece = async () => {
    maxSeen = Math.max(maxSeen, w.queued);
    await sleep(1);
  };
  for (let i = 0; i < 30; i++) {
    await addChunk(w, randomBytes(500));
    t.ok(w.queued < 2, 'add resolves only when the queue has room');
  }
  await w.finish();
  t.ok(maxSeen <= 2, `max queued ${maxSeen}`);
});

/** Consumes puts, keeping only the size, the SHA-256 and the last bytes (enough to read the tail). */
class CountingBackend implements Backend {
  readonly location = 'counting://';
  readonly kept = new Map<string, { size: number; sha: string; end: Buffer }>();
  async *list(): AsyncIterable<ObjectInfo> {}
  async stat(name: string): Promise<ObjectInfo | undefined> {
    const k = this.kept.get(name);
    return k && { name, size: k.size, mtimeMs: 0 };
  }
  async get(name: string, range?: { offset: number; length: number }): Promise<Uint8Array> {
    const k = this.kept.get(name)!;
    const from = (range?.offset ?? 0) - (k.size - k.end.length);
    return k.end.subarray(from, from + (range?.length ?? k.size));
  }
  async put(name: string, source: PutSource): Promise<void> {
    const hash = createHash('sha256');
    let size = 0;
    let end = Buffer.alloc(0);
    for await (const piece of source instanceof Uint8Array ? [source] : source) {
      hash.update(piece);
      size += piece.length;
      end = Buffer.concat([end, piece]).subarray(-256 * 1024);
    }
    this.kept.set(name, { size, sha: hash.digest('hex'), end: Buffer.from(end) });
  }
  async rename(from: string, to: string): Promise<void> {
    this.kept.set(to, this.kept.get(from)!);
    this.kept.delete(from);
  }
  async delete(name: string): Promise<void> {
    this.kept.delete(name);
  }
  async close(): Promise<void> {}
}

t.test('memory stays bounded while a large pack streams through', async (t) => {
  const backend = new CountingBackend();
  const w = new DegeneratePackWriter(backend, fakeSealer);
  const chunk = randomBytes(2 << 20);
  const id = blobId(chunk);
  const sealed = sealBlob(fakeSealer, id, chunk);
  const total = 256 << 20;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = 0;
  for (let n = 0; n < total; n += chunk.length) {
    // Fresh copies, as a real producer would hand over, so retained blobs would show in RSS.
    await w.add(id, BlobType.data, Buffer.from(sealed), chunk.length);
    peak = Math.max(peak, process.memoryUsage().rss - rss0);
  }
  const desc = await w.finish();
  const stored = backend.kept.get(packName(desc.id))!;
  t.equal(stored.sha, desc.id);
  t.equal(stored.size, desc.size);
  t.ok(desc.size > total);
  t.same(await readPackHeader(backend, fakeSealer, desc.id), desc);
  t.ok(peak < 128 << 20, `RSS grew by at most ${(peak / 1048576).toFixed(0)} MiB for ${total >> 20} MiB streamed`);
});

t.test('a backend failure mid-stream rejects add or finish and leaves no pack', async (t) => {
  const backend = new FakeBackend();
  backend.failStreamAfter = 20_000;
  const w = new DegeneratePackWriter(backend, fakeSealer);
  const outcome = (async () => {
    for (let i = 0; i < 100; i++) await addChunk(w, randomBytes(1000));
    await w.finish();
  })();
  await t.rejects(outcome, { code: 'BackendError' });
  await t.rejects(w.finish(), { code: 'BackendError' });
  await t.rejects(addChunk(w, randomBytes(10)), { code: 'BackendError' });
  t.same(backend.names(), []);
});

t.test('a failure at the very end (after the last add) rejects finish', async (t) => {
  const backend = new FakeBackend();
  const w = new DegeneratePackWriter(backend, fakeSealer);
  for (let i = 0; i < 5; i++) await addChunk(w, randomBytes(1000));
  backend.failStreamAfter = w.size;
  await t.rejects(w.finish(), { code: 'BackendError' });
  t.same(backend.names(), []);
});

t.test('a failed put through FaultyBackend surfaces, and a failed rename leaves no object', async (t) => {
  const faulty = new FaultyBackend(new MemoryBackend());
  faulty.addRule({ op: 'put', action: 'fail' });
  const w = new DegeneratePackWriter(faulty, fakeSealer);
  const run = (async () => {
    for (let i = 0; i < 10; i++) await addChunk(w, randomBytes(1000));
    return w.finish();
  })();
  await t.rejects(run, { code: 'BackendError' });
  const backend = new FakeBackend();
  backend.failRename = true;
  const w2 = new DegeneratePackWriter(backend, fakeSealer);
  await addChunk(w2, randomBytes(1000));
  await t.rejects(w2.finish(), { code: 'BackendError' });
  t.same(backend.names(), []);
});

t.test('abort ends the upload and deletes the tmp object', async (t) => {
  const backend = new FakeBackend();
  backend.onPiece = () => sleep(1);
  const w = new DegeneratePackWriter(backend, fakeSealer);
  for (let i = 0; i < 5; i++) await addChunk(w, randomBytes(1000));
  await w.abort();
  t.same(backend.names(), []);
  await t.rejects(addChunk(w, randomBytes(10)), { code: 'Interrupted' });
  await t.rejects(w.finish(), { code: 'Interrupted' });
  await w.abort();
  const idle = new DegeneratePackWriter(backend, fakeSealer);
  await idle.abort();
  await t.rejects(new DegeneratePackWriter(backend, fakeSealer).finish(), { code: 'InvalidArgument' });
  t.same(backend.names(), []);
});
