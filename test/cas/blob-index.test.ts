import t from 'tap';
import { join } from 'node:path';
import { MemoryBackend } from '../../src/backend/memory.js';
import type { BlobId } from '../../src/core/ids.js';
import { BlobIndex } from '../../src/cas/blob-index.js';
import { IndexCache } from '../../src/cas/index-cache.js';
import { writeIndexFile } from '../../src/cas/index-file.js';
import { makePack, randomId } from './index-arbitraries.js';
import { FakeSealer } from './index-fake-sealer.js';

const indexNames = async (backend: MemoryBackend): Promise<string[]> => {
  const names: string[] = [];
  for await (const o of backend.list('index/')) names.push(o.name);
  return names.sort();
};

t.test('open absorbs existing index files; pending packs are visible before flush', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const old = makePack(3);
  const oldId = await writeIndexFile(backend, sealer, [old]);
  const index = await BlobIndex.open(backend, sealer, join(t.testdir(), 'cache'));
  t.same(await index.indexIds(), new Set([oldId]));
  const oldBlob = old.blobs[1]!;
  t.ok(await index.has(oldBlob.id));
  t.same(await index.lookup(oldBlob.id), {
    pack: old.id,
    type: oldBlob.type,
    offset: oldBlob.offset,
    length: oldBlob.length,
    rawLength: oldBlob.rawLength,
  });

  const fresh = makePack(4);
  const blob = fresh.blobs[2]!;
  t.notOk(await index.has(blob.id));
  index.addPack(fresh);
  t.equal(index.pendingBlobCount, 4);
  t.ok(await index.has(blob.id));
  t.equal((await index.lookup(blob.id))?.pack, fresh.id);
  const absent = randomId<BlobId>();
  const many = await index.lookupMany([blob.id, absent, oldBlob.id]);
  t.same(
    many.map((l) => l?.pack),
    [fresh.id, undefined, old.id],
  );
  t.throws(() => index.addPack(fresh), { code: 'InvalidArgument' });
  t.same(await indexNames(backend), [`index/${oldId}`], 'nothing written before flush');

  const newId = await index.flush();
  t.type(newId, 'string');
  t.same(await indexNames(backend), [`index/${oldId}`, `index/${newId}`].sort(), 'flush wrote exactly one index file');
  t.equal(index.pendingBlobCount, 0);
  t.equal((await index.lookup(blob.id))?.pack, fresh.id, 'found in the cache after flush');
  t.same(await index.indexIds(), new Set([oldId, newId]));
  t.equal(await index.flush(), undefined, 'nothing pending: no file');
  t.equal((await indexNames(backend)).length, 2);
  await index.close();

  const reopened = await BlobIndex.open(backend, sealer, join(t.testdir(), 'cache'));
  t.ok(await reopened.has(blob.id));
  await reopened.close();
});

t.test('one flush covers every pack added since the last one', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const index = await BlobIndex.open(backend, sealer, join(t.testdir(), 'cache'));
  const packs = [makePack(2), makePack(1, 1), makePack(3, 2)];
  for (const p of packs) index.addPack(p);
  const [a, b] = await Promise.all([index.flush(), index.flush()]);
  t.type(a, 'string');
  t.equal(b, undefined);
  t.equal((await indexNames(backend)).length, 1);
  const found = await index.lookupMany(packs.flatMap((p) => p.blobs.map((x) => x.id)));
  t.same(
    found.map((l) => l?.pack),
    packs.flatMap((p) => p.blobs.map(() => p.id)),
  );
  await index.close();
});

t.test('a disappeared index file makes open rebuild the cache', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const dir = join(t.testdir(), 'cache');
  const doomed = makePack(2);
  const kept = makePack(2);
  const doomedId = await writeIndexFile(backend, sealer, [doomed]);
  const keptId = await writeIndexFile(backend, sealer, [kept]);
  await (await BlobIndex.open(backend, sealer, dir)).close();

  // prune: the doomed pack's index is replaced by one without it
  const replacement = makePack(1);
  await backend.delete(`index/${doomedId}`);
  const replacementId = await writeIndexFile(backend, sealer, [replacement]);
  const index = await BlobIndex.open(backend, sealer, dir);
  t.same(await index.indexIds(), new Set([keptId, replacementId]));
  t.notOk(await index.has(doomed.blobs[0]!.id), 'entries of the vanished index are gone');
  t.ok(await index.has(kept.blobs[1]!.id));
  t.ok(await index.has(replacement.blobs[0]!.id));
  await index.close();
});

t.test('a partially absorbed index file that vanished also triggers a rebuild', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const dir = join(t.testdir(), 'cache');
  const stale = makePack(2);
  const cache = await IndexCache.open(dir);
  await cache.absorb('f'.repeat(64), [stale]);
  await cache.close();
  const { Level } = await import('level');
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.put(new TextEncoder().encode('i:' + 'f'.repeat(64)), Uint8Array.of(0));
  await db.close();
  const index = await BlobIndex.open(backend, sealer, dir);
  t.notOk(await index.has(stale.blobs[0]!.id));
  await index.close();
});

t.test('a corrupt index file opens (so repair can replace it) but fails every lookup with CorruptData', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const pack = makePack(1);
  const id = await writeIndexFile(backend, sealer, [pack]);
  const bytes = await backend.get(`index/${id}`);
  bytes[5] = (bytes[5] ?? 0) ^ 1;
  await backend.put(`index/${id}`, bytes);
  const index = await BlobIndex.open(backend, sealer, join(t.testdir(), 'cache'));
  t.same([...index.unreadable.keys()], [id]);
  await t.rejects(index.lookup(pack.blobs[0]!.id), { code: 'CorruptData', message: new RegExp(id) });
  await t.rejects(index.has(pack.blobs[0]!.id), { code: 'CorruptData' });
  await backend.delete(`index/${id}`);
  await index.refresh();
  t.equal(index.unreadable.size, 0, 'gone once the file is');
  t.equal(await index.lookup(pack.blobs[0]!.id), undefined);
  await index.close();
});

t.test('a flush of more blobs than one index file may name writes several', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const index = await BlobIndex.open(backend, sealer, join(t.testdir(), 'cache'));
  const packs = [makePack(60_000), makePack(60_000)];
  for (const p of packs) index.addPack(p);
  await index.flush();
  const files = [];
  for await (const o of backend.list('index/')) files.push(o.name);
  t.equal(files.length, 2);
  t.equal(index.pendingBlobCount, 0);
  await index.close();
});
