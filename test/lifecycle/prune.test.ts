/** prune and check on a memory repository: what stays readable, what goes, what a dry run leaves alone. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { checkRepository } from '../../src/lifecycle/check.js';
import { forget } from '../../src/lifecycle/forget.js';
import { prune } from '../../src/lifecycle/prune.js';
import { loadIndexView } from '../../src/lifecycle/index-view.js';
import { packName } from '../../src/cas/pack-path.js';
import { PackKind } from '../../src/core/types.js';
import { memoryRepo, readAllSnapshots, sameFiles, writeSnapshot } from './repo-fixture.js';

const files = (entries: Record<string, Uint8Array>): Map<string, Uint8Array> => new Map(Object.entries(entries));

t.test('forget + prune removes dead data and keeps every remaining file readable', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  const shared = randomBytes(900);
  const big = randomBytes(9000);
  const a = files({ 'x/shared': shared, 'x/only-a': randomBytes(800), big: big });
  const b = files({ 'x/shared': shared, 'y/only-b': randomBytes(1200), big: Buffer.concat([big.subarray(0, 4200), randomBytes(2000)]) });
  const idA = await writeSnapshot(repo, a, { time: '2024-01-01T00:00:00.000Z' });
  const idB = await writeSnapshot(repo, b, { time: '2024-01-02T00:00:00.000Z' });
  t.same((await checkRepository(repo)).problems, []);
  const before = backend.totalBytes;

  const dry = await prune(repo, { dryRun: true, graceMs: 0 });
  t.equal(dry.packsDeleted, 0, 'nothing dead yet');
  t.equal(backend.totalBytes, before, 'dry run changes nothing');

  const f = await forget(repo, { ids: [idA] });
  t.same(
    f.removed.map((s) => s.id),
    [idA],
  );
  const r = await prune(repo, { graceMs: 0, maxUnused: 0 });
  t.ok(r.packsDeleted + r.packsRepacked > 0, 'something was reclaimed');
  t.ok(r.reclaimed > 0);
  t.ok(backend.totalBytes < before);
  t.same((await checkRepository(repo, { readData: { kind: 'all' } })).problems, []);
  const back = await readAllSnapshots(repo);
  t.same([...back.keys()], [idB]);
  t.ok(sameFiles(back.get(idB), b), 'remaining snapshot reads back identically');

  const again = await prune(repo, { graceMs: 0, maxUnused: 0 });
  t.equal(again.packsDeleted + again.packsRepacked, 0, 'a second prune finds nothing to do');
});

t.test('prune refuses when a referenced blob is missing and deletes nothing', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  await writeSnapshot(repo, files({ a: randomBytes(500), b: randomBytes(500) }));
  const pack = [
    ...(await (async () => {
      const out: string[] = [];
      for await (const o of backend.list('packs/')) out.push(o.name);
      return out;
    })()),
  ][0]!;
  await backend.delete(pack);
  const before = backend.totalBytes;
  await t.rejects(prune(repo, { graceMs: 0 }), { code: 'CorruptData' });
  t.equal(backend.totalBytes, before);
  t.ok((await checkRepository(repo)).problems.length > 0, 'check reports the damage');
});

t.test('prune copies nothing damaged: a flipped byte in a pack to repack stops it before anything is deleted', async (t) => {
  for (const kind of [PackKind.normal, PackKind.degenerate]) {
    const { backend, repo, done } = await memoryRepo();
    const big = randomBytes(9000);
    const keep = randomBytes(300);
    const idA = await writeSnapshot(repo, files({ 'x/a': randomBytes(300), 'x/keep': keep, big }), { time: '2024-01-01T00:00:00.000Z' });
    await writeSnapshot(repo, files({ 'x/keep': keep, big: Buffer.concat([big.subarray(0, 4200), randomBytes(2000)]) }), {
      time: '2024-01-02T00:00:00.000Z',
    });
    await forget(repo, { ids: [idA] });
    const plan = await prune(repo, { dryRun: true, graceMs: 0, maxUnused: 0 });
    t.ok(plan.packsRepacked > 0, `${kind}: something to repack`);
    // The first live blob of every pack of this kind gets one bit flipped (its seal no longer opens).
    for (const p of (await loadIndexView(backend, repo.sealer)).packs) {
      if (p.kind !== kind) continue;
      const bytes = await backend.get(packName(p.id));
      bytes[p.describe().blobs[0]!.offset + 30]! ^= 1;
      await backend.put(packName(p.id), bytes);
    }
    const names = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const o of backend.list('')) out.push(o.name);
      return out;
    };
    const before = await names();
    await t.rejects(prune(repo, { graceMs: 0, maxUnused: 0 }), { code: 'CorruptData' }, `${kind}: refused`);
    const after = new Set(await names());
    t.same(
      before.filter((n) => !after.has(n)),
      [],
      `${kind}: nothing deleted`,
    );
    await done();
  }
});
