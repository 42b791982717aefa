/** A restore in windows of any size gives the same tree as one in a single window: links, selections, directory times. */
import t from 'tap';
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../../src/backend/memory.js';
import { Repository } from '../../src/repo/repository.js';
import { runBackup } from '../../src/snapshot/backup/backup.js';
import { runRestore, type RestoreOptions } from '../../src/snapshot/restore/restore.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { findSnapshot } from '../../src/repo/snapshots.js';
import { buildFixture } from './fs-fixture.js';
import { treeListing } from '../helpers/tree-compare.js';

process.env['ROZEN_KDF_N'] = '1024';

/** The fixture plus directories of files, with hardlinks whose links lie far apart in walk order. */
async function buildTree(src: string): Promise<void> {
  await mkdir(src);
  await buildFixture(src);
  for (let d = 0; d < 4; d++) {
    await mkdir(join(src, `many${d}`, 'inner'), { recursive: true });
    for (let f = 0; f < 9; f++)
      await writeFile(join(src, `many${d}`, f % 3 ? `f${f}` : join('inner', `f${f}`)), `${d}/${f} `.repeat(f * 40));
  }
  await link(join(src, 'many0', 'f1'), join(src, 'many3', 'inner', 'z-link'));
}

t.test('restores in windows of 1 to 7 steps equal the whole-tree restore, selections included', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-windows-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const src = join(dir, 'src');
  await buildTree(src);
  const backend = new MemoryBackend();
  await Repository.init(backend, 'pw');
  const repo = await Repository.open(backend, 'pw', { cacheDir: join(dir, 'cache') });
  t.teardown(() => repo.close());
  await runBackup(repo, { paths: [src] });
  const snap: Snapshot = await findSnapshot(repo, 'latest');
  const restoreInto = async (name: string, opts: Omit<RestoreOptions, 'target'>): Promise<string[]> => {
    const target = join(dir, name);
    const r = await runRestore(repo, snap, { ...opts, target });
    t.equal(r.errors, 0, name);
    return treeListing(join(target, src));
  };
  const whole = await restoreInto('whole', {});
  t.same(whole, await treeListing(src), 'the single-window restore equals the source');
  const selection = {
    include: (p: string) => p.includes('/many') || p.endsWith('hl-c'),
    exclude: (p: string) => p.endsWith('/inner') && p.includes('many2'),
  };
  const selected = await restoreInto('selected', { selection });
  t.ok(selected.length > 10 && selected.length < whole.length, 'the selection restores part of the tree');
  for (const windowSteps of [1, 2, 3, 7]) {
    t.same(await restoreInto(`w${windowSteps}`, { windowSteps }), whole, `windows of ${windowSteps}`);
    t.same(await restoreInto(`s${windowSteps}`, { windowSteps, selection }), selected, `selection in windows of ${windowSteps}`);
  }
});
