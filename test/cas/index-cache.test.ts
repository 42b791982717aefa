import t from 'tap';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobId } from '../../src/core/ids.js';
import type { IndexedBlob, PackDescription } from '../../src/core/types.js';
import { IndexCache } from '../../src/cas/index-cache.js';
import { makePack, randomId } from './index-arbitraries.js';

const locations = (packs: readonly PackDescription[]): IndexedBlob[] => packs.flatMap((p) => p.blobs.map((b) => ({ ...b, pack: p.id })));
const withoutId = ({ id: _id, ...loc }: IndexedBlob): Omit<IndexedBlob, 'id'> => loc;

t.test('absorb, get, getMany, packs, entries, absorbedIndexIds; survives reopening', async (t) => {
  const dir = join(t.testdir(), 'cache');
  const cache = await IndexCache.open(dir);
  t.equal(cache.dir, dir);
  t.notOk(cache.temporary);
  const first = [makePack(3), makePack(5000, 1)];
  const second = [makePack(2, 2), first[0]!];
  await cache.absorb('a'.repeat(64), first);
  await cache.absorb('b'.repeat(64), second);
  const all = locations([...first, ...second]);
  for (const blob of all.slice(0, 50)) t.same(await cache.get(blob.id), withoutId(blob));
  const absent = randomId<BlobId>();
  t.equal(await cache.get(absent), undefined);
  const some = [all[0]!, all[4000]!, all[5004]!];
  t.same(await cache.getMany([some[0]!.id, absent, some[1]!.id, some[2]!.id]), [
    withoutId(some[0]!),
    undefined,
    withoutId(some[1]!),
    withoutId(some[2]!),
  ]);
  t.same(await cache.absorbedIndexIds(), new Set(['a'.repeat(64), 'b'.repeat(64)]));
  t.same(await cache.partialIndexIds(), new Set());
  const packs = [];
  for await (const p of cache.packs()) packs.push(p);
  t.same(
    packs.map((p) => p.id),
    [first[0]!.id, first[1]!.id, second[0]!.id],
  );
  t.same(packs[1], { id: first[1]!.id, kind: 1, size: first[1]!.size });
  await cache.close();

  const again = await IndexCache.open(dir);
  const ids: string[] = [];
  for await (const e of again.entries()) ids.push(e.id);
  t.equal(ids.length, all.length - 3);
  t.same(ids, [...new Set(all.map((b) => b.id))].sort());
  t.same(await again.get(all[4999]!.id), withoutId(all[4999]!));
  t.same(await again.absorbedIndexIds(), new Set(['a'.repeat(64), 'b'.repeat(64)]));
  await again.absorb('c'.repeat(64), [makePack(1)]);
  let count = 0;
  for await (const _ of again.packs()) count++;
  t.equal(count, 4, 'pack numbers continue after reopening');
  await again.clear();
  t.equal(await again.get(all[0]!.id), undefined);
  t.same(await again.absorbedIndexIds(), new Set());
  await again.close();
});

t.test('a corrupt cache directory is discarded and started empty', async (t) => {
  const dir = join(t.testdir(), 'cache');
  const cache = await IndexCache.open(dir);
  const pack = makePack(2);
  await cache.absorb('a'.repeat(64), [pack]);
  await cache.close();
  for (const name of await readdir(dir)) {
    if (name.startsWith('MANIFEST') || name === 'CURRENT') await writeFile(join(dir, name), 'garbage');
  }
  const reopened = await IndexCache.open(dir);
  t.equal(reopened.dir, dir);
  t.same(await reopened.absorbedIndexIds(), new Set());
  t.equal(await reopened.get(pack.blobs[0]!.id), undefined);
  await reopened.absorb('a'.repeat(64), [pack]);
  t.ok(await reopened.get(pack.blobs[0]!.id));
  await reopened.close();

  const junk = join(t.testdir(), 'junk');
  await mkdir(junk);
  await writeFile(join(junk, 'CURRENT'), 'MANIFEST-000009\n');
  await writeFile(join(junk, 'MANIFEST-000009'), 'not a manifest');
  const fromJunk = await IndexCache.open(junk);
  t.notOk(fromJunk.temporary);
  t.same(await fromJunk.absorbedIndexIds(), new Set());
  await fromJunk.close();
});

t.test('a store of another cache version is discarded', async (t) => {
  const { Level } = await import('level');
  const dir = join(t.testdir(), 'cache');
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.put(new TextEncoder().encode('m:version'), Uint8Array.of(99, 0, 0, 0));
  await db.put(new TextEncoder().encode('i:' + 'a'.repeat(64)), Uint8Array.of(1));
  await db.close();
  const cache = await IndexCache.open(dir);
  t.same(await cache.absorbedIndexIds(), new Set());
  await cache.close();
});

t.test('a cache locked by another user falls back to a private temporary one', async (t) => {
  const dir = join(t.testdir(), 'cache');
  const holder = await IndexCache.open(dir);
  await holder.absorb('a'.repeat(64), [makePack(1)]);
  const second = await IndexCache.open(dir);
  t.ok(second.temporary);
  t.not(second.dir, dir);
  t.same(await second.absorbedIndexIds(), new Set());
  const pack = makePack(1);
  await second.absorb('b'.repeat(64), [pack]);
  t.ok(await second.get(pack.blobs[0]!.id));
  const tmp = second.dir;
  await second.close();
  await t.rejects(readdir(tmp), { code: 'ENOENT' }, 'temporary cache removed on close');
  t.same(await holder.absorbedIndexIds(), new Set(['a'.repeat(64)]));
  await holder.close();
});

t.test('concurrent absorbs are serialised and all land', async (t) => {
  const cache = await IndexCache.open(join(t.testdir(), 'cache'));
  const batches = Array.from({ length: 5 }, () => [makePack(300), makePack(10)]);
  await Promise.all(batches.map((packs, i) => cache.absorb(String(i).repeat(64), packs)));
  const all = locations(batches.flat());
  const found = await cache.getMany(all.map((b) => b.id));
  t.same(found, all.map(withoutId));
  await cache.close();
});

t.test('absorbBody stores the same entries as absorb, and nothing from a malformed body', async (t) => {
  const { encodeIndexBody } = await import('../../src/cas/index-body.js');
  const packs = [makePack(5000, 1), makePack(3, 2)];
  const viaObjects = await IndexCache.open(join(t.testdir(), 'objects'));
  const viaBody = await IndexCache.open(join(t.testdir(), 'body'));
  await viaObjects.absorb('a'.repeat(64), packs);
  await viaBody.absorbBody('a'.repeat(64), encodeIndexBody(packs));
  const dump = async (c: IndexCache): Promise<IndexedBlob[]> => {
    const out: IndexedBlob[] = [];
    for await (const e of c.entries()) out.push(e);
    return out;
  };
  const expected = await dump(viaObjects);
  t.equal(expected.length, 5003);
  t.same(await dump(viaBody), expected);
  t.same(await viaBody.absorbedIndexIds(), new Set(['a'.repeat(64)]));

  const bad = Buffer.from(encodeIndexBody([makePack(2)]));
  bad[bad.length - 47 + 32] = 9;
  await t.rejects(viaBody.absorbBody('b'.repeat(64), bad), { code: 'CorruptData' });
  t.same(await viaBody.partialIndexIds(), new Set(), 'not even a partial marker');
  let packCount = 0;
  for await (const _ of viaBody.packs()) packCount++;
  t.equal(packCount, 2);
  await viaObjects.close();
  await viaBody.close();
});

t.test('gets asked in one turn reach LevelDB as one getMany, each answered for its own id', async (t) => {
  const cache = await IndexCache.open(join(t.testdir(), 'cache'));
  t.teardown(() => cache.close());
  const packs = [makePack(40)];
  await cache.absorb('c'.repeat(64), packs);
  const all = locations(packs);
  const db = (cache as unknown as { db: { get: unknown; getMany: (keys: unknown[]) => Promise<unknown> } }).db;
  const calls: number[] = [];
  const getMany = db.getMany.bind(db);
  db.getMany = (keys) => {
    calls.push(keys.length);
    return getMany(keys);
  };
  db.get = () => t.fail('no single gets');
  const absent = randomId<BlobId>();
  const asked = [...all.slice(0, 30).map((b) => b.id), absent];
  const found = await Promise.all(asked.map((id) => cache.get(id)));
  t.same(calls, [31], 'one call for all of them');
  t.same(found, [...all.slice(0, 30).map(withoutId), undefined]);
  db.getMany = () => Promise.reject(new Error('disk gone'));
  await t.rejects(
    Promise.all([cache.get(all[0]!.id), cache.get(all[1]!.id)]),
    { code: 'CorruptData' },
    'a failed read fails every get of the batch',
  );
});

t.test('getMany answers in the order asked, and asks LevelDB in key order', async (t) => {
  const fc = (await import('fast-check')).default;
  const cache = await IndexCache.open(join(t.testdir(), 'cache'));
  const packs = [makePack(400), makePack(300, 1)];
  await cache.absorb('a'.repeat(64), packs);
  const all = locations(packs);
  const absent = Array.from({ length: 50 }, () => randomId<BlobId>());
  const db = (cache as unknown as { store: { db: { getMany: (keys: Uint8Array[]) => Promise<unknown> } } }).store.db;
  const getMany = db.getMany.bind(db);
  const asked: Uint8Array[][] = [];
  db.getMany = (keys) => (asked.push(keys), getMany(keys));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(all.length + absent.length - 1), { maxLength: 200 }), async (picks) => {
      const ids = picks.map((i) => (i < all.length ? all[i]!.id : absent[i - all.length]!));
      const want = picks.map((i) => (i < all.length ? withoutId(all[i]!) : undefined));
      asked.length = 0;
      t.same(await cache.getMany(ids), want);
      for (const keys of asked) {
        for (let k = 1; k < keys.length; k++) t.ok(Buffer.compare(keys[k - 1]!, keys[k]!) <= 0, 'keys sorted');
      }
    }),
    { numRuns: 30 },
  );
  await cache.close();
});
