/** Regression: data pruned away and then backed up again by the same process must be stored again. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { checkRepository } from '../../src/lifecycle/check.js';
import { forget } from '../../src/lifecycle/forget.js';
import { prune } from '../../src/lifecycle/prune.js';
import { memoryRepo, readAllSnapshots, sameFiles, writeSnapshot } from './repo-fixture.js';

t.test('backup, forget, prune, the same backup again, prune: the new snapshot is complete', async (t) => {
  const { repo, done } = await memoryRepo();
  t.teardown(done);
  const files = new Map([
    ['a', randomBytes(600)],
    ['big', randomBytes(5000)],
  ]);
  const first = await writeSnapshot(repo, files, { time: '2024-01-01T00:00:00.000Z' });
  await forget(repo, { ids: [first] });
  await prune(repo, { graceMs: 0, maxUnused: 0 });
  const second = await writeSnapshot(repo, files, { time: '2024-01-02T00:00:00.000Z' });
  await prune(repo, { graceMs: 0, maxUnused: 0 });
  t.same((await checkRepository(repo, { readData: { kind: 'all' } })).problems, []);
  const back = await readAllSnapshots(repo);
  t.ok(sameFiles(back.get(second), files));
});
