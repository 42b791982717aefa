/**
 * restore --delete: remove what the target holds and the snapshot lacks, only in directories at or
 * below the snapshot's backed-up paths that are restored whole (not in the directories leading to
 * them, which list only the way down; not in ones only partly selected by --include). Excluded
 * names are kept. A directory is cleaned only when its real path is where the target says (no
 * symlink on the way), and removal never follows a symlink, so nothing outside the target is touched.
 */
import { readdir, realpath, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BlobId } from '../../core/ids.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { Repository } from '../../repo/repository.js';
import { joinPath, underAny } from '../path.js';
import { loadTree } from '../trees.js';
import type { Selection } from './plan.js';

export interface DeleteOptions {
  readonly target: string;
  readonly selection?: Selection;
  readonly dryRun?: boolean;
  /** Called for each entry removed (or, on a dry run, to be removed), with its path in the target. */
  readonly removed: (path: string) => void;
}

interface Walk {
  readonly repo: Repository;
  readonly opts: DeleteOptions;
  /** The target's real path. */
  readonly base: Buffer;
  readonly paths: readonly string[];
  count: number;
}

/** Removes the extra entries; returns how many (a removed directory counts once). */
export async function deleteExtras(repo: Repository, snap: Snapshot, opts: DeleteOptions): Promise<number> {
  const base = await realpath(Buffer.from(resolve(opts.target)), { encoding: 'buffer' }).catch(() => undefined);
  if (!base) return 0;
  const w: Walk = { repo, opts, base, paths: snap.paths, count: 0 };
  await visit(w, snap.tree, Buffer.alloc(0), opts.selection?.include === undefined);
  return w.count;
}

/** At or below one of the backed-up paths. */
async function visit(w: Walk, tree: BlobId, path: Buffer, whole: boolean): Promise<void> {
  const nodes = await loadTree(w.repo, tree);
  if (whole && underAny(w.paths, path.toString())) await removeExtras(w, path, new Set(nodes.map((n) => n.name.toString('hex'))));
  const { include, exclude } = w.opts.selection ?? {};
  for (const node of nodes) {
    const at = joinPath(path, node.name);
    if (node.type !== 'dir' || !node.subtree || exclude?.(at.toString())) continue;
    await visit(w, node.subtree, at, whole || include?.(at.toString()) === true);
  }
}

/** Removes the entries of the target's directory for snapshot path `path` whose names are not in `names` (hex). */
async function removeExtras(w: Walk, path: Buffer, names: Set<string>): Promise<void> {
  const dir = Buffer.concat([w.base, path]);
  const real = await realpath(dir, { encoding: 'buffer' }).catch(() => undefined);
  if (!real?.equals(dir)) return;
  for (const name of await readdir(dir, { encoding: 'buffer' })) {
    const at = joinPath(path, name);
    if (names.has(name.toString('hex')) || w.opts.selection?.exclude?.(at.toString())) continue;
    const victim = Buffer.concat([w.base, at]);
    if (!w.opts.dryRun) await rm(victim, { recursive: true, force: true });
    w.count++;
    w.opts.removed(victim.toString());
  }
}
