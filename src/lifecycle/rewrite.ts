/**
 * rewrite: drop excluded paths from snapshots. Only the trees on the way to a dropped entry are
 * written anew (unchanged subtrees keep their ids); the new trees are durable (packs, then index)
 * before any new snapshot record is written, and each old record is deleted only after its
 * replacement is saved. The dropped data goes with the next `prune`.
 */
import type { BlobId, SnapshotId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import { BlobSaver } from '../repo/blob-saver.js';
import type { Repository } from '../repo/repository.js';
import { replaceSnapshot, saveSnapshot } from '../repo/snapshots.js';
import type { Node } from '../snapshot/node.js';
import { joinPath } from '../snapshot/path.js';
import { loadTree } from '../snapshot/trees.js';
import { TreeStore } from './tree-store.js';

export interface RewriteOptions {
  /** Whether an absolute path of the snapshot ('/home/u/x') is to be dropped (with everything below it). */
  readonly exclude: (path: Buffer) => boolean;
  readonly dryRun?: boolean;
  /** Keep the old records (the new ones still name them in `original`). */
  readonly keepOld?: boolean;
}

export interface RewriteResult {
  readonly old: SnapshotId;
  /** Paths dropped, directories with a trailing '/'. Empty: the snapshot is left alone. */
  readonly removed: readonly string[];
  /** The new record (absent on a dry run or when nothing was dropped). */
  readonly replacement?: SnapshotId;
}

type Rewritten = { readonly id: BlobId; readonly removed: readonly string[] };

class ExcludeRewriter {
  /** By tree id and path: the same tree at the same place is rewritten once for all snapshots. */
  readonly #memo = new Map<string, Promise<Rewritten>>();

  constructor(
    private readonly repo: Repository,
    private readonly exclude: (path: Buffer) => boolean,
    private readonly trees: TreeStore,
  ) {}

  rewrite(id: BlobId, path: Buffer): Promise<Rewritten> {
    const key = `${id}\0${path.toString('hex')}`;
    let p = this.#memo.get(key);
    if (!p) this.#memo.set(key, (p = this.#rewrite(id, path)));
    return p;
  }

  async #rewrite(id: BlobId, path: Buffer): Promise<Rewritten> {
    const kept: Node[] = [];
    const removed: string[] = [];
    for (const node of await loadTree(this.repo, id)) {
      const at = joinPath(path, node.name);
      if (this.exclude(at)) {
        removed.push(`${at.toString()}${node.type === 'dir' ? '/' : ''}`);
      } else if (node.type === 'dir' && node.subtree) {
        const sub = await this.rewrite(node.subtree, at);
        removed.push(...sub.removed);
        kept.push(sub.id === node.subtree ? node : { ...node, subtree: sub.id });
      } else {
        kept.push(node);
      }
    }
    return { id: removed.length === 0 ? id : await this.trees.store(kept), removed };
  }
}

export async function rewriteSnapshots(repo: Repository, snaps: readonly Snapshot[], opts: RewriteOptions): Promise<RewriteResult[]> {
  const saver = opts.dryRun ? undefined : new BlobSaver(repo.backend, repo.sealer, repo.index, repo.config);
  const rewriter = new ExcludeRewriter(repo, opts.exclude, new TreeStore(repo, saver, () => false));
  const planned: { snap: Snapshot; tree: Rewritten }[] = [];
  try {
    for (const snap of snaps) planned.push({ snap, tree: await rewriter.rewrite(snap.tree, Buffer.alloc(0)) });
    await saver?.flush();
  } catch (err) {
    await saver?.abort();
    throw err;
  }
  const results: RewriteResult[] = [];
  for (const { snap, tree } of planned) {
    const r = { old: snap.id, removed: tree.removed };
    if (tree.removed.length === 0 || opts.dryRun) results.push(r);
    else results.push({ ...r, replacement: await replace(repo, snap, tree.id, opts.keepOld === true) });
  }
  return results;
}

async function replace(repo: Repository, snap: Snapshot, tree: BlobId, keepOld: boolean): Promise<SnapshotId> {
  if (!keepOld) return replaceSnapshot(repo, snap, { tree });
  const { id, ...record } = snap;
  return saveSnapshot(repo, { ...record, tree, original: snap.original ?? id });
}
