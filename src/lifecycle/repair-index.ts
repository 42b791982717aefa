/** repair index: rebuild the index from the headers at the ends of the stored packs. */
import { readPackHeader } from '../cas/pack-reader.js';
import { indexFileName } from '../cas/index-file.js';
import { PACKS_PREFIX, parsePackName } from '../cas/pack-path.js';
import type { PackDescription } from '../core/types.js';
import type { Repository } from '../repo/repository.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import { listIndexFileIds } from './index-view.js';
import { writeIndexSet } from './index-writer.js';
import { shortId } from '../core/ids.js';

export interface RepairIndexReport {
  readonly packs: number;
  readonly blobs: number;
  /** Packs whose header could not be read: left in place, not indexed. */
  readonly unreadable: readonly string[];
  readonly indexFilesWritten: number;
  readonly indexFilesDeleted: number;
}

export async function repairIndex(repo: Repository, onProblem: (line: string) => void = () => undefined): Promise<RepairIndexReport> {
  const old = await listIndexFileIds(repo.backend);
  for (const [id, err] of repo.index.unreadable) onProblem(`index file ${shortId(id)}: ${err.message}; it is replaced`);
  const listed: { id: ReturnType<typeof parsePackName>; size: number }[] = [];
  for await (const o of repo.backend.list(PACKS_PREFIX)) listed.push({ id: parsePackName(o.name), size: o.size });
  const packs: PackDescription[] = [];
  const unreadable: string[] = [];
  await forEachLimited(listed, 8, async ({ id, size }) => {
    if (id === undefined) return;
    try {
      packs.push(await readPackHeader(repo.backend, repo.sealer, id, size));
    } catch (err) {
      unreadable.push(id);
      onProblem(`pack ${shortId(id)}: ${(err as Error).message}`);
    }
  });
  packs.sort((a, b) => (a.id < b.id ? -1 : 1));
  const written = await writeIndexSet(repo.backend, repo.sealer, packs);
  const stale = old.filter((id) => !written.includes(id));
  for (const id of stale) await repo.backend.delete(indexFileName(id));
  await repo.index.refresh();
  return {
    packs: packs.length,
    blobs: packs.reduce((n, p) => n + p.blobs.length, 0),
    unreadable,
    indexFilesWritten: written.length,
    indexFilesDeleted: stale.length,
  };
}
