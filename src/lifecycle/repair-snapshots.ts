/** repair snapshots: rewrite snapshots whose trees reference lost blobs, dropping what is lost so the rest restores. */
import type { BlobId, SnapshotId } from '../core/ids.js';
import { BlobType } from '../core/types.js';
import { encodeTree } from '../snapshot/fs/tree-codec.js';
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../core/snapshot.js';
import { BlobSaver } from '../repo/blob-saver.js';
import { BlobTasks } from '../repo/blob-task.js';
import type { Repository } from '../repo/repository.js';
import { listSnapshots, saveSnapshot } from '../repo/snapshots.js';
import { loadIndexView, type IndexView } from './index-view.js';
import { joinPath, loadTreeFrom } from './tree-walker.js';

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
  readonly #tasks: BlobTasks;

  constructor(private readonly repo: Repository, private readonly view: IndexView, private readonly saver: BlobSaver | undefined) {
    this.#tasks = new BlobTasks({ encKey: repo.master.encKey, idKey: repo.master.idKey });
  }

  /** The tree with lost parts dropped (the same id when nothing is lost), or undefined when the tree itself is lost. */
  rewrite(id: BlobId, path: string): Promise<Rewrite> {
    let p = this.#memo.get(id);
    if (!p) this.#memo.set(id, (p = this.#rewrite(id, path)));
    return p;
  }

  async #rewrite(id: BlobId, path: string): Promise<Rewrite> {
    let nodes: Node[];
    try {
      nodes = await loadTreeFrom(this.repo, this.view, id);
    } catch {
      return undefined;
    }
    const kept: Node[] = [];
    const dropped: string[] = [];
    for (const node of nodes) {
      const at = joinPath(path, node.name);
      const next = await this.#node(node, at, dropped);
      if (next) kept.push(next);
    }
    if (dropped.length === 0) return { id, dropped };
    return { id: await this.#store(kept), dropped };
  }

  async #node(node: Node, at: string, dropped: string[]): Promise<Node | undefined> {
    if (node.type === 'dir' && node.subtree) {
      const sub = await this.rewrite(node.subtree, at);
      if (!sub) {
        dropped.push(`${at}/ (directory listing lost)`);
        return undefined;
      }
      dropped.push(...sub.dropped);
      return sub.id === node.subtree ? node : { ...node, subtree: sub.id };
    }
    if ((node.content ?? []).some((b) => !this.view.blobs.get(b)?.some((l) => l.type === BlobType.data))) {
      dropped.push(`${at} (content lost)`);
      return undefined;
    }
    return node;
  }

  async #store(nodes: readonly Node[]): Promise<BlobId> {
    const r = this.#tasks.seal({ op: 'seal', data: encodeTree(nodes), level: 3 });
    if (this.saver && !this.view.blobs.has(r.id) && !(await this.saver.has(r.id))) {
      await this.saver.saveSmall(BlobType.tree, r.id, r.sealed, r.rawLength);
    }
    return r.id;
  }
}

export async function repairSnapshots(repo: Repository, opts: RepairSnapshotsOptions = {}): Promise<RepairedSnapshot[]> {
  const view = await loadIndexView(repo.backend, repo.sealer);
  const saver = opts.dryRun ? undefined : new BlobSaver(repo.backend, repo.sealer, repo.index, repo.config);
  const rewriter = new TreeRewriter(repo, view, saver);
  const todo: { snap: Snapshot; result: Rewrite }[] = [];
  for (const snap of await listSnapshots(repo)) {
    const result = await rewriter.rewrite(snap.tree, '/');
    if (!result || result.id !== snap.tree) todo.push({ snap, result });
  }
  await saver?.flush();
  const out: RepairedSnapshot[] = [];
  for (const { snap, result } of todo) out.push(await replace(repo, snap, result, opts));
  return out;
}

async function replace(repo: Repository, snap: Snapshot, result: Rewrite, opts: RepairSnapshotsOptions): Promise<RepairedSnapshot> {
  const lost = result === undefined;
  const dropped = result?.dropped ?? ['/ (root tree lost)'];
  if (opts.dryRun || (lost && !opts.forget)) return { old: snap.id, dropped, lost };
  let replacement: SnapshotId | undefined;
  if (result) {
    const { id: _old, ...record } = snap;
    replacement = await saveSnapshot(repo, { ...record, tree: result.id });
  }
  await repo.backend.delete(`snapshots/${snap.id}`);
  return { old: snap.id, dropped, lost, ...(replacement && { replacement }) };
}
