/** repair snapshots: rewrite snapshots whose trees reference lost blobs, dropping what is lost so the rest restores. */
import { deleteFormatObjects } from '../backend/format-names.js';
import { isRozenError } from '../core/errors.js';
import type { BlobId, SnapshotId } from '../core/ids.js';
import { BlobType } from '../core/types.js';
import { TreeStore } from './tree-store.js';
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../core/snapshot.js';
import { BlobSaver } from '../repo/blob-saver.js';
import type { Repository } from '../repo/repository.js';
import { listSnapshots, replaceSnapshot } from '../repo/snapshots.js';
import { loadIndexView, type IndexView } from './index-view.js';
import { loadTreeFrom } from './tree-walker.js';
import { joinPathText } from '../snapshot/path.js';

export interface RepairSnapshotsOptions {
  readonly dryRun?: boolean;
  /** Delete snapshots whose root tree itself is lost (otherwise they are left and reported). */
  readonly forget?: boolean;
}

export interface RepairedSnapshot {
  readonly old: SnapshotId;
  /** The new record, or undefined on a dry run or when the snapshot was forgotten. */
  readonly replacement?: SnapshotId;
  /** Paths dropped, each with why. */
  readonly dropped: readonly string[];
  /** The root tree was lost: nothing could be kept. */
  readonly lost: boolean;
}

type Rewrite = { id: BlobId; dropped: string[] } | undefined;

class TreeRewriter {
  readonly #memo = new Map<BlobId, Promise<Rewrite>>();
  /** Why each lost tree could not be loaded (its error, which names the pack). */
  readonly #why = new Map<BlobId, string>();
  readonly #trees: TreeStore;

  constructor(
    private readonly repo: Repository,
    private readonly view: IndexView,
    saver: BlobSaver | undefined,
  ) {
    this.#trees = new TreeStore(repo, saver, (id) => view.has(id));
  }

  /** The tree with lost parts dropped (the same id when nothing is lost), or undefined when the tree itself is lost. */
  rewrite(id: BlobId, path: string): Promise<Rewrite> {
    let p = this.#memo.get(id);
    if (!p) this.#memo.set(id, (p = this.#rewrite(id, path)));
    return p;
  }

  async #rewrite(id: BlobId, path: string): Promise<Rewrite> {
    let nodes: Node[];
    if (!this.view.has(id, BlobType.tree)) {
      this.#why.set(id, 'not in the index');
      return undefined;
    }
    try {
      nodes = await loadTreeFrom(this.repo, this.view, id);
    } catch (err) {
      // Only damage is loss: a backend that fails (network, permissions) must not make a repair drop data.
      if (!isRozenError(err, 'CorruptData')) throw err;
      this.#why.set(id, err.message);
      return undefined;
    }
    const kept: Node[] = [];
    const dropped: string[] = [];
    for (const node of nodes) {
      const at = joinPathText(path, node.name);
      const next = await this.#node(node, at, dropped);
      if (next) kept.push(next);
    }
    if (dropped.length === 0) return { id, dropped };
    return { id: await this.#trees.store(kept), dropped };
  }

  async #node(node: Node, at: string, dropped: string[]): Promise<Node | undefined> {
    if (node.type === 'dir' && node.subtree) {
      const sub = await this.rewrite(node.subtree, at);
      if (!sub) {
        dropped.push(`${at}/ (directory listing lost: ${this.why(node.subtree)})`);
        return undefined;
      }
      dropped.push(...sub.dropped);
      return sub.id === node.subtree ? node : { ...node, subtree: sub.id };
    }
    if ((node.content ?? []).some((b) => !this.view.has(b, BlobType.data))) {
      dropped.push(`${at} (content lost)`);
      return undefined;
    }
    return node;
  }

  /** Why tree `id` was lost. */
  why(id: BlobId): string {
    return this.#why.get(id) ?? 'unknown';
  }
}

export async function repairSnapshots(repo: Repository, opts: RepairSnapshotsOptions = {}): Promise<RepairedSnapshot[]> {
  const view = await loadIndexView(repo.backend, repo.sealer);
  const saver = opts.dryRun ? undefined : new BlobSaver(repo.backend, repo.sealer, repo.index, repo.config);
  const rewriter = new TreeRewriter(repo, view, saver);
  const todo: { snap: Snapshot; result: Rewrite }[] = [];
  const unreadable: { id: SnapshotId; why: string }[] = [];
  for (const snap of await listSnapshots(repo, (id, err) => unreadable.push({ id, why: err.message }))) {
    const result = await rewriter.rewrite(snap.tree, '/');
    if (!result || result.id !== snap.tree) todo.push({ snap, result });
  }
  await saver?.flush();
  const out: RepairedSnapshot[] = [];
  for (const { snap, result } of todo) out.push(await replace(repo, snap, result ?? rewriter.why(snap.tree), opts));
  for (const u of unreadable) out.push(await dropUnreadable(repo, u.id, u.why, opts));
  return out;
}

/** A record that does not open or parse: nothing of it can be kept; removed like a lost root with `forget`. */
async function dropUnreadable(repo: Repository, id: SnapshotId, why: string, opts: RepairSnapshotsOptions): Promise<RepairedSnapshot> {
  const gone = { old: id, dropped: [`the snapshot record itself: ${why}`], lost: true };
  if (opts.forget && !opts.dryRun) await deleteFormatObjects(repo.backend, [`snapshots/${id}`]);
  return gone;
}

/** Writes the rewritten snapshot (or, with `forget`, drops one whose root is lost: `result` is then why). */
async function replace(
  repo: Repository,
  snap: Snapshot,
  result: NonNullable<Rewrite> | string,
  opts: RepairSnapshotsOptions,
): Promise<RepairedSnapshot> {
  const lost = typeof result === 'string';
  const dropped = lost ? [`/ (root tree lost: ${result})`] : result.dropped;
  if (opts.dryRun || (lost && !opts.forget)) return { old: snap.id, dropped, lost };
  if (lost) await deleteFormatObjects(repo.backend, [`snapshots/${snap.id}`]);
  const replacement = lost ? undefined : await replaceSnapshot(repo, snap, { tree: result.id });
  return { old: snap.id, dropped, lost, ...(replacement && { replacement }) };
}
