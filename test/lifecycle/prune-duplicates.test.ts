/** A blob stored in two packs and a pack listed by two index files, through prune and check. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { writeIndexFile } from '../../src/cas/index-file.js';
import { packName } from '../../src/cas/pack-path.js';
import { PackWriter } from '../../src/cas/pack-writer.js';
import { BlobType, PackKind } from '../../src/core/types.js';
import { checkRepository } from '../../src/lifecycle/check.js';
import { listIndexFileIds, loadIndexView } from '../../src/lifecycle/index-view.js';
import { prune } from '../../src/lifecycle/prune.js';
import { BlobTasks } from '../../src/repo/blob-task.js';
import { memoryRepo, problemsAgainst, writeSnapshot } from './repo-fixture.js';

t.test('a live blob whose first pack is lost is copied out of its second one', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  const x = randomBytes(300);
  const snap = await writeSnapshot(repo, new Map([['x', x]]));
  const first = (await loadIndexView(backend, repo.sealer)).packs.find((p) => p.kind === PackKind.normal)!;
  // A second pack holding x again (sealed anew) and a blob nothing references.
  const tasks = new BlobTasks({ encKey: repo.master.encKey, idKey: repo.master.idKey });
  const writer = new PackWriter(backend, repo.sealer, PackKind.normal);
  for (const data of [x, randomBytes(200)]) {
    const r = tasks.seal({ op: 'seal', data, level: false });
    writer.add(r.id, BlobType.data, r.sealed, r.rawLength);
  }
  const second = await writer.finish();
  await writeIndexFile(backend, repo.sealer, [second]);
  await backend.delete(packName(first.id));

  const report = await prune(repo, { graceMs: 0, maxUnused: 0 });
  t.match(report, { lostPacks: 1, packsRepacked: 1, blobsCopied: 1 });
  const view = await loadIndexView(backend, repo.sealer);
  t.notOk(view.pack(first.id) ?? view.pack(second.id), 'the lost pack and the repacked one are out of the index');
  t.same(await problemsAgainst(repo, new Map([[snap, new Map([['x', x]])]])), [], 'x reads back; check --read-data finds nothing');
});

t.test('a blob stored twice in kept packs is kept, and copied at most once', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  const files = new Map([
    ['a', randomBytes(300)],
    ['b', randomBytes(300)],
  ]);
  const snap = await writeSnapshot(repo, files);
  // Both blobs again in one pack with a dead blob, twice over: the copies are repacked away, nothing copied.
  const tasks = new BlobTasks({ encKey: repo.master.encKey, idKey: repo.master.idKey });
  const writer = new PackWriter(backend, repo.sealer, PackKind.normal);
  for (const data of [files.get('a')!, randomBytes(100), files.get('b')!, files.get('a')!]) {
    const r = tasks.seal({ op: 'seal', data, level: false });
    writer.add(r.id, BlobType.data, r.sealed, r.rawLength);
  }
  await writeIndexFile(backend, repo.sealer, [await writer.finish()]);
  const report = await prune(repo, { graceMs: 0, maxUnused: 0 });
  t.match(report, { liveBlobs: 3, blobsCopied: 0, packsDeleted: 1 });
  t.same(await problemsAgainst(repo, new Map([[snap, files]])), []);
});

t.test('check compares every index file that lists a pack with the first', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  await writeSnapshot(repo, new Map([['a', randomBytes(300)]]));
  const pack = (await loadIndexView(backend, repo.sealer)).packs[0]!.describe();
  await writeIndexFile(backend, repo.sealer, [pack]);
  t.same((await checkRepository(repo)).problems, [], 'the same description again is no problem');
  const other = await writeIndexFile(backend, repo.sealer, [{ ...pack, size: pack.size + 1 }]);
  // The first description is that of the index file whose id sorts first; each file unlike it is named.
  const files = await listIndexFileIds(backend);
  const unlike = files[0] === other ? files.slice(1) : [other];
  const named = (await checkRepository(repo)).problems.filter((l) => l.includes('describes it differently'));
  t.same(
    named,
    unlike.map((id) => `pack ${pack.id.slice(0, 8)}: index file ${id.slice(0, 8)} describes it differently from another index file`),
  );
});
