/** Visits every distinct tree reachable from snapshots, loading trees through an IndexView. */
import { BlobIdSet } from '../cas/index-id-set.js';
import { shortId, type BlobId } from '../core/ids.js';
import { BlobType, type BlobLocation } from '../core/types.js';
import { decodeTree, decodeTreeRefs, type TreeRefs } from '../snapshot/fs/tree-codec.js';
import type { Node } from '../snapshot/node.js';
import { joinPathText } from '../snapshot/path.js';
import type { Snapshot } from '../core/snapshot.js';
import type { Repository } from '../repo/repository.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import { BlobMarks } from './blob-marks.js';
import type { IndexView } from './index-view.js';
import { MiB } from '../core/sizes.js';

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
    return this.parent === undefined || this.name === undefined ? '/' : joinPathText(this.parent.path, this.name);
  }
}

export interface WalkVisitor {
  /** Each distinct tree once, with its entries. */
  readonly tree?: (id: BlobId, nodes: readonly Node[], use: BlobUse) => void;
  /** A referenced blob that the index lacks, or a tree that cannot be loaded. */
  readonly problem?: (id: BlobId, what: string, use: BlobUse) => void;
}

export interface Reachable {
  readonly trees: BlobMarks;
  readonly data: BlobMarks;
  /** Referenced but not indexed or not loadable. */
  readonly missing: BlobIdSet;
}

const TREE_LOADS = 8;
/** Bytes of whole tree packs a walk keeps: it meets trees in about the order they were written. */
const WALK_PACK_CACHE = 32 * MiB;

type ReadTree = (id: BlobId, loc: BlobLocation) => Promise<Uint8Array>;

export async function loadTreeFrom(repo: Repository, view: IndexView, id: BlobId): Promise<Node[]> {
  return decodeTree(await loadTreeBytes((i, loc) => repo.loadBlob(i, loc), view, id));
}

async function loadTreeBytes(read: ReadTree, view: IndexView, id: BlobId): Promise<Uint8Array> {
  const loc = view.locate(id, BlobType.tree);
  if (!loc) throw new Error('tree blob not in the index');
  // Through a tree-pack window: a walk reads many trees of each tree pack.
  return read(id, loc);
}

export interface WalkOptions {
  /**
   * Read only the references of each tree (names, subtrees, content ids) instead of decoding
   * and validating every entry: for walks that only mark what is reachable. No `tree` visits.
   */
  readonly refsOnly?: boolean;
}

/** Marks every tree and data blob reachable from `snapshots`, breadth first with bounded concurrency. */
export async function walkSnapshots(
  repo: Repository,
  view: IndexView,
  snapshots: readonly Snapshot[],
  visitor: WalkVisitor = {},
  opts: WalkOptions = {},
): Promise<Reachable> {
  const result: Reachable = {
    trees: new BlobMarks(view.blobs),
    data: new BlobMarks(view.blobs),
    missing: new BlobIdSet(Number.POSITIVE_INFINITY),
  };
  let level: { id: BlobId; use: Use }[] = [];
  const enqueue = (id: BlobId, use: Use): void => {
    if (result.trees.add(id)) level.push({ id, use });
  };
  for (const s of snapshots) enqueue(s.tree, new Use(s));
  // A tree-pack cache of the walk's own, gone with it (the repository's serves other readers for longer).
  const read = repo.treeReader(WALK_PACK_CACHE);
  while (level.length > 0) {
    const current = level;
    level = [];
    await forEachLimited(current, TREE_LOADS, async ({ id, use }) => {
      let entries: readonly TreeRefs[];
      try {
        const bytes = await loadTreeBytes(read, view, id);
        if (opts.refsOnly) {
          entries = decodeTreeRefs(bytes);
        } else {
          const nodes = decodeTree(bytes);
          visitor.tree?.(id, nodes, use);
          entries = nodes;
        }
      } catch (err) {
        result.missing.add(id);
        visitor.problem?.(id, `tree ${short(id)} cannot be loaded: ${(err as Error).message}`, use);
        return;
      }
      for (const entry of entries) visitNode(entry, use, view, result, visitor, enqueue);
    });
  }
  return result;
}

/** A decoded node has a subtree only when it is a directory (decodeTree checks that). */
function visitNode(
  node: TreeRefs,
  parent: Use,
  view: IndexView,
  result: Reachable,
  visitor: WalkVisitor,
  enqueue: (id: BlobId, use: Use) => void,
): void {
  if (node.subtree !== undefined && !result.trees.has(node.subtree)) enqueue(node.subtree, new Use(parent.snapshot, parent, node.name));
  const content = node.content;
  if (content === undefined) return;
  for (const id of content) {
    const first = view.blobs.find(id);
    if (!result.data.add(id, first)) continue;
    // One lookup for the common case: the first record of the id is a data blob.
    if (first < 0 || (view.blobs.typeOf(first) !== BlobType.data && !view.has(id, BlobType.data))) {
      result.missing.add(id);
      visitor.problem?.(id, `data blob ${short(id)} is not in the index`, new Use(parent.snapshot, parent, node.name));
    }
  }
}

export const short = (id: string): string => shortId(id);
