/** rewrite is crash-safe: wherever it fails, each snapshot is there as the old record, the new one, or both, and every record reads whole. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { FaultyBackend } from '../../src/backend/faulty.js';
import { excludeMatcher } from '../../src/cli/excludes.js';
import { rewriteSnapshots } from '../../src/lifecycle/rewrite.js';
import { Repository } from '../../src/repo/repository.js';
import { listSnapshots } from '../../src/repo/snapshots.js';
import { cloneBackend, memoryRepo, PASSWORD, readAllSnapshots, sameFiles, tempDir, writeSnapshot } from './repo-fixture.js';

t.test('a failure at any backend call of a rewrite leaves old or new (or both) of each snapshot, all readable', async (t) => {
  const { backend: base, repo: setup, done } = await memoryRepo();
  const files = new Map([
    ['a.txt', randomBytes(300)],
    ['d/secret.key', randomBytes(900)],
    ['d/keep', randomBytes(400)],
  ]);
  const without = new Map([...files].filter(([k]) => k !== 'd/secret.key'));
  const olds = [
    await writeSnapshot(setup, files, { time: '2026-01-01T00:00:00.000Z' }),
    await writeSnapshot(setup, files, { time: '2026-01-02T00:00:00.000Z', tags: ['b'] }),
  ];
  await done();
  const cache = tempDir();
  t.teardown(() => cache.remove());
  const exclude = excludeMatcher(['*.key']) ?? (() => false);

  const run = async (failAt?: number): Promise<FaultyBackend> => {
    const probe = new FaultyBackend(await cloneBackend(base));
    const repo = await Repository.open(probe, PASSWORD, { cacheDir: cache.path });
    const snaps = await listSnapshots(repo);
    probe.clearCalls();
    if (failAt !== undefined) probe.addRule({ op: '*', nth: failAt, action: 'fail' });
    await rewriteSnapshots(repo, snaps, { exclude }).catch(() => undefined);
    await repo.close();
    return probe;
  };
  const calls = (await run()).count('*');
  t.ok(calls > 4, `a rewrite makes ${calls} backend calls`);
  for (let n = 1; n <= calls; n++) {
    const probe = await run(n);
    probe.clearRules();
    const repo = await Repository.open(probe.inner, PASSWORD, { cacheDir: cache.path });
    const snaps = await listSnapshots(repo);
    const contents = await readAllSnapshots(repo);
    await repo.close();
    for (const old of olds) {
      const kept = snaps.filter((s) => s.id === old || s.original === old);
      t.ok(kept.length >= 1 && kept.length <= 2, `failing call ${n}: snapshot ${old.slice(0, 8)} is there (${kept.length} record(s))`);
      for (const s of kept)
        t.ok(sameFiles(contents.get(s.id), s.id === old ? files : without), `failing call ${n}: ${s.id.slice(0, 8)} reads whole`);
    }
  }
});
