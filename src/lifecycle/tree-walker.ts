/** Visits every distinct tree reachable from snapshots, loading trees through an IndexView. */
import type { BlobId } from '../core/ids.js';
import { BlobType } from '../core/types.js';
import { decodeTree } from '../snapshot/fs/tree-codec.js';
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../core/snapshot.js';
import type { Repository } from '../repo/repository.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import type { IndexView } from './index-view.js';

/** Where a blob was met: the snapshot and the path inside it. */
export interface BlobUse {
  readonly snapshot: Snapshot;
  readonly path: string;
}

/** A use whose path is only built when asked for (a problem is reported): walks meet every node. */
class Use implements BlobUse {
  constructor(
    readonly snapshot: Snapshot,
    private readonly parent?: Use,
    private readonly name?: Buffer,
  ) {}

  get path(): string {
    return this.parent === undefined || this.name === undefined ? '/' : joinPath(this.parent.path, this.name);
  }
}

export interface WalkVisitor {
  /** Each distinct tree once, with its entries. */
  readonly tree?: (id: BlobId, nodes: readonly Node[], use: BlobUse) => void;
  /** A referenced blob that the index lacks, or a tree that cannot be loaded. */
  readonly problem?: (id: BlobId, what: string, use: BlobUse) => void;
}

export interface Reachable {
  readonly trees: Set<BlobId>;
  readonly data: Set<BlobId>;
  /** Referenced but not indexed or not loadable. */
  readonly missing: Set<BlobId>;
}

const TREE_LOADS = 8;

export async function loadTreeFrom(repo: Repository, view: IndexView, id: BlobId): Promise<Node[]> {
  const loc = view.blobs.get(id)?.find((l) => l.type === BlobType.tree);
  if (!loc) throw new Error('tree blob not in the index');
  // Through the repository's tree-pack window: a walk reads many trees of each tree pack.
  return decodeTree(await repo.loadBlob(id, loc));
}

/** Marks every tree and data blob reachable from `snapshots`, breadth first with bounded concurrency. */
export async function walkSnapshots(
  repo: Repository, view: IndexView, snapshots: readonly Snapshot[], visitor: WalkVisitor = {},
): Promise<Reachable> {
  const result: Reachable = { trees: new Set(), data: new Set(), missing: new Set() };
  let level: { id: BlobId; use: Use }[] = [];
  const enqueue = (id: BlobId, use: Use): void => {
    if (result.trees.has(id)) return;
    result.trees.add(id);
    level.push({ id, use });
  };
  for (const s of snapshots) enqueue(s.tree, new Use(s));
  while (level.length > 0) {
    const current = level;
    level = [];
    await forEachLimited(current, TREE_LOADS, async ({ id, use }) => {
      let nodes: Node[];
      try {
        nodes = await loadTreeFrom(repo, view, id);
      } catch (err) {
        result.missing.add(id);
        visitor.problem?.(id, `tree ${short(id)} cannot be loaded: ${(err as Error).message}`, use);
        return;
      }
      visitor.tree?.(id, nodes, use);
      for (const node of nodes) visitNode(node, use, view, result, visitor, enqueue);
    });
  }
  return result;
}

function visitNode(
  node: Node, parent: Use, view: IndexView, result: Reachable, visitor: WalkVisitor,
  enqueue: (id: BlobId, use: Use) => void,
): void {
  if (node.type === 'dir' && node.subtree && !result.trees.has(node.subtree)) enqueue(node.subtree, new Use(parent.snapshot, parent, node.name));
  const content = node.content;
  if (content === undefined) return;
  for (const id of content) {
    if (result.data.has(id)) continue;
    result.data.add(id);
    if (!view.blobs.get(id)?.some((l) => l.type === BlobType.data)) {
      result.missing.add(id);
      visitor.problem?.(id, `data blob ${short(id)} is not in the index`, new Use(parent.snapshot, parent, node.name));
    }
  }
}

export const joinPath = (dir: string, name: Buffer): string => `${dir === '/' ? '' : dir}/${name.toString('utf8')}`;
export const short = (id: string): string => id.slice(0, 8);
