/** A prune that fails at any backend call leaves a repository that checks clean and restores every remaining snapshot. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { FaultyBackend } from '../../src/backend/faulty.js';
import type { MemoryBackend } from '../../src/backend/memory.js';
import type { SnapshotId } from '../../src/core/ids.js';
import { forget } from '../../src/lifecycle/forget.js';
import { prune, type PruneOptions } from '../../src/lifecycle/prune.js';
import { Repository } from '../../src/repo/repository.js';
import { cloneBackend, memoryRepo, PASSWORD, problemsAgainst, tempDir, writeSnapshot, type FileSet } from './repo-fixture.js';

const PRUNE: PruneOptions = { maxUnused: 0, graceMs: 0 };

async function scenario(): Promise<{ base: MemoryBackend; model: Map<SnapshotId, FileSet> }> {
  const { backend, repo, done } = await memoryRepo();
  const big = randomBytes(8000);
  const shared = randomBytes(700);
  const versions: FileSet[] = [
    new Map([
      ['big', big],
      ['s/shared', shared],
      ['s/a', randomBytes(900)],
      ['t/x', randomBytes(1500)],
    ]),
    new Map([
      ['big', Buffer.concat([big.subarray(0, 5600), randomBytes(1800)])],
      ['s/shared', shared],
      ['s/b', randomBytes(600)],
    ]),
    new Map([
      ['s/shared', shared],
      ['u/c', randomBytes(2500)],
      ['u/d', randomBytes(300)],
    ]),
  ];
  const ids: SnapshotId[] = [];
  for (const [i, files] of versions.entries()) ids.push(await writeSnapshot(repo, files, { time: `2024-01-0${i + 1}T00:00:00.000Z` }));
  await forget(repo, { ids: [ids[0]!] });
  await backend.put(`tmp/${'ab'.repeat(32)}`, randomBytes(100));
  await done();
  return {
    base: backend,
    model: new Map([
      [ids[1]!, versions[1]!],
      [ids[2]!, versions[2]!],
    ]),
  };
}

async function opened(backend: FaultyBackend | MemoryBackend, cacheDir: string): Promise<Repository> {
  return Repository.open(backend, PASSWORD, { cacheDir });
}

async function verify(backend: MemoryBackend, cacheDir: string, model: Map<SnapshotId, FileSet>): Promise<string[]> {
  const repo = await opened(backend, cacheDir);
  try {
    return await problemsAgainst(repo, model);
  } finally {
    await repo.close();
  }
}

t.test('prune fails at every call position in turn', async (t) => {
  const { base, model } = await scenario();
  const cache = tempDir();
  t.teardown(() => cache.remove());

  const probe = new FaultyBackend(await cloneBackend(base));
  const repo = await opened(probe, cache.path);
  probe.clearCalls();
  const full = await prune(repo, PRUNE);
  const calls = probe.count('*');
  await repo.close();
  t.ok(
    full.packsRepacked > 0 && full.packsDeleted > 0,
    `the prune repacks ${full.packsRepacked} and deletes ${full.packsDeleted} packs in ${calls} calls`,
  );

  let failed = 0;
  for (let nth = 1; nth <= calls; nth++) {
    const copy = await cloneBackend(base);
    const faulty = new FaultyBackend(copy);
    const r = await opened(faulty, cache.path);
    faulty.clearCalls();
    faulty.addRule({ op: '*', nth, action: 'fail' });
    const outcome = await prune(r, PRUNE).then(
      () => 'completed',
      (err: Error) => err.message,
    );
    faulty.clearRules();
    await r.close().catch(() => undefined);
    if (outcome !== 'completed') failed++;
    const problems = await verify(copy, cache.path, model);
    t.same(problems, [], `failure at call ${nth} (${faulty.calls[nth - 1]?.op} ${faulty.calls[nth - 1]?.name ?? ''}): ${outcome}`);
    const r2 = await opened(copy, cache.path);
    await prune(r2, PRUNE);
    await r2.close();
    t.same(await verify(copy, cache.path, model), [], `a later prune after failure ${nth} completes cleanly`);
  }
  t.ok(failed > calls / 2, `${failed} of ${calls} injected failures stopped the prune`);
});
