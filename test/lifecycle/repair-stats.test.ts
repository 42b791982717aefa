/** repair index, repair snapshots, stats, and check finding damage. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import type { MemoryBackend } from '../../src/backend/memory.js';
import { checkRepository } from '../../src/lifecycle/check.js';
import { loadIndexView } from '../../src/lifecycle/index-view.js';
import { parseSubset, selectPacks } from '../../src/lifecycle/read-data.js';
import { repairIndex } from '../../src/lifecycle/repair-index.js';
import { repairSnapshots } from '../../src/lifecycle/repair-snapshots.js';
import { repositoryStats } from '../../src/lifecycle/stats.js';
import type { PackId } from '../../src/core/ids.js';
import { packName } from '../../src/cas/pack-path.js';
import { memoryRepo, readAllSnapshots, sameFiles, writeSnapshot } from './repo-fixture.js';

async function names(b: MemoryBackend, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of b.list(prefix)) out.push(o.name);
  return out.sort();
}

t.test('repair index rebuilds the index from pack headers', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  const files = new Map([
    ['a.txt', randomBytes(900)],
    ['d/b.bin', randomBytes(5000)],
    ['d/c', randomBytes(1700)],
  ]);
  const id = await writeSnapshot(repo, files);
  for (const n of await names(backend, 'index/')) await backend.delete(n);
  t.ok((await checkRepository(repo)).problems.length > 0, 'check sees the lost index');
  const r = await repairIndex(repo);
  t.equal(r.unreadable.length, 0);
  t.ok(r.packs > 2);
  t.same((await checkRepository(repo, { readData: { kind: 'all' } })).problems, []);
  t.ok(sameFiles((await readAllSnapshots(repo)).get(id), files));
});

t.test('repair snapshots drops lost files so the rest restores', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  const keep = randomBytes(800);
  const lost = randomBytes(6000);
  await writeSnapshot(repo, new Map([['keep/x', keep]]));
  const id = await writeSnapshot(
    repo,
    new Map([
      ['keep/x', keep],
      ['big/lost.bin', lost],
    ]),
  );
  const view = await loadIndexView(backend, repo.sealer);
  const degenerate = view.packs.find((p) => p.kind === 1)!;
  await backend.delete(packName(degenerate.id));
  await repairIndex(repo);
  const problems = (await checkRepository(repo)).problems;
  t.ok(
    problems.some((p) => p.includes('/big/lost.bin')),
    'check names the damaged file',
  );
  const dry = await repairSnapshots(repo, { dryRun: true });
  t.equal(dry.length, 1);
  t.same(await names(backend, `snapshots/${id}`), [`snapshots/${id}`], 'dry run leaves the record');
  const [r] = await repairSnapshots(repo);
  t.equal(r!.old, id);
  t.match(r!.dropped, [/big\/lost\.bin/]);
  t.same((await checkRepository(repo)).problems, []);
  const back = await readAllSnapshots(repo);
  t.ok(sameFiles(back.get(r!.replacement!), new Map([['keep/x', keep]])));
  t.notOk(back.has(id));
});

t.test('stats counts files, unique bytes, packs and extensions', async (t) => {
  const { repo, done } = await memoryRepo();
  t.teardown(done);
  const text = Buffer.from('hello world '.repeat(200));
  const noise = randomBytes(4000);
  await writeSnapshot(
    repo,
    new Map([
      ['a.txt', text],
      ['b.bin', noise],
    ]),
  );
  await writeSnapshot(
    repo,
    new Map([
      ['a.txt', text],
      ['c.txt', text],
      ['b.bin', noise],
    ]),
  );
  const s = await repositoryStats(repo);
  t.equal(s.snapshots, 2);
  t.equal(s.files, 5);
  t.equal(s.uniqueBytes, text.length + noise.length);
  t.ok(s.packs.degenerate.count >= 1 && s.packs.tree.count >= 1 && s.packs.normal.count >= 1);
  const txt = s.extensions.find((e) => e.extension === 'txt')!;
  t.equal(txt.raw, text.length);
  t.ok(txt.raw / txt.stored > 5, 'repetitive text compresses');
  const bin = s.extensions.find((e) => e.extension === 'bin')!;
  t.ok(bin.raw / bin.stored < 1.05, 'random data does not');
});

t.test('check --read-data finds a flipped byte; structure check finds a wrong size', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  await writeSnapshot(
    repo,
    new Map([
      ['a', randomBytes(1000)],
      ['b', randomBytes(1000)],
    ]),
  );
  const pack = packName((await loadIndexView(backend, repo.sealer)).packs.find((p) => p.kind === 0)!.id);
  const bytes = await backend.get(pack);
  bytes[10]! ^= 1;
  await backend.put(pack, bytes);
  t.same((await checkRepository(repo)).problems, [], 'structure alone cannot see it');
  const r = await checkRepository(repo, { readData: { kind: 'all' } });
  t.match(r.problems, [/hash mismatch/]);
  await backend.put(pack, bytes.subarray(1));
  t.match((await checkRepository(repo)).problems, [/size/]);
});

t.test('read-data subsets', async (t) => {
  const ids = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').repeat(32) as PackId);
  t.equal(selectPacks(ids, parseSubset('1/4')).length, 64);
  const parts = [1, 2, 3, 4].flatMap((k) => selectPacks(ids, parseSubset(`${k}/4`)));
  t.equal(new Set(parts).size, 256, 'K/N parts cover every pack once');
  t.equal(selectPacks(ids, parseSubset('10%')).length, 26);
  t.throws(() => parseSubset('5/4'), { code: 'InvalidArgument' });
  t.throws(() => parseSubset('0%'), { code: 'InvalidArgument' });
});
