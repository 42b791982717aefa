/**
 * Finding entries in snapshots by path pattern or by the blobs they use, walking each distinct subtree once:
 * a subtree known to hold no match is remembered (the most recent 200,000) and skipped in every later snapshot.
 */
import { isRozenError, type RozenError } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import type { BlobLocation } from '../core/types.js';
import type { Snapshot } from '../core/snapshot.js';
import { RecentMap } from '../core/recent-map.js';
import type { Repository } from '../repo/repository.js';
import type { Node } from './node.js';
import { joinPath } from './path.js';
import { loadTree, snapshotRoot } from './trees.js';

/** What makes an entry a match. */
export interface FindQuery {
  /** True for a matching path ('/'-joined, from the snapshot root) and name. */
  readonly path?: (path: string, name: string) => boolean;
  /** Whether `path` takes part in matching: false lets a subtree's outcome be remembered by its id alone. */
  readonly pathDependent: boolean;
  /** Blob id prefixes (lower-case hex): an entry matches when its content or its subtree is such a blob. */
  readonly blobs?: readonly string[];
}

export interface FindHit {
  readonly path: string;
  readonly node: Node;
  /** The blobs of `blobs` this entry uses (content chunks or its subtree). */
  readonly blobs: readonly BlobId[];
}

export interface FindSink {
  readonly hit: (snap: Snapshot, hit: FindHit) => void;
  /** A tree that could not be loaded; its subtree is left out. */
  readonly problem: (snap: Snapshot, path: string, err: RozenError) => void;
}

/** Subtrees remembered as holding no match: about 100 bytes each, so a search of many snapshots stays bounded. */
const BARREN_TREES = 200_000;

/** Snapshot-independent state: subtrees (by id, or id and path) that hold no match, the most recent ones. */
export class Finder {
  readonly #barren: RecentMap<string, true>;

  constructor(
    private readonly repo: Repository,
    private readonly query: FindQuery,
    rememberTrees = BARREN_TREES,
  ) {
    this.#barren = new RecentMap(rememberTrees);
  }

  /** Report every match in `snap` to `sink`, depth-first; whether there was one. */
  async find(snap: Snapshot, sink: FindSink): Promise<boolean> {
    let found = false;
    const rootBlobs = this.#blobsOf(undefined, snap.tree);
    if (rootBlobs.length > 0) {
      sink.hit(snap, { path: '/', node: snapshotRoot(snap), blobs: rootBlobs });
      found = true;
    }
    return (await this.#visit(snap, snap.tree, Buffer.from('/'), sink)) || found;
  }

  #key(tree: BlobId, path: Buffer): string {
    return this.query.pathDependent ? `${tree}${path.toString('latin1')}` : tree;
  }

  async #visit(snap: Snapshot, tree: BlobId, path: Buffer, sink: FindSink, loc?: BlobLocation): Promise<boolean> {
    const key = this.#key(tree, path);
    if (this.#barren.get(key)) return false;
    let nodes: Node[];
    try {
      nodes = await loadTree(this.repo, tree, loc);
    } catch (err) {
      if (!isRozenError(err, 'CorruptData') && !isRozenError(err, 'NotFound')) throw err;
      sink.problem(snap, path.toString(), err);
      return false;
    }
    const locs = await this.#locate(nodes, path);
    let found = false;
    for (const node of nodes) {
      const child = joinPath(path, node.name);
      const blobs = this.#blobsOf(node);
      const text = child.toString();
      if (blobs.length > 0 || this.query.path?.(text, node.name.toString()) === true) {
        sink.hit(snap, { path: text, node, blobs });
        found = true;
      }
      if (node.type === 'dir' && node.subtree && (await this.#visit(snap, node.subtree, child, sink, locs.get(node.subtree)))) found = true;
    }
    if (!found) this.#barren.set(key, true);
    return found;
  }

  /**
   * Where the subtrees of a directory that are still to be searched lie, in one index lookup: asked one by one, each
   * cost the walk a wait on the index. One that cannot be located is left out (its own load reports it).
   */
  async #locate(nodes: readonly Node[], path: Buffer): Promise<Map<BlobId, BlobLocation>> {
    const searched = (n: Node, tree: BlobId): boolean =>
      !this.#barren.get(this.query.pathDependent ? this.#key(tree, joinPath(path, n.name)) : tree);
    const ids = nodes.flatMap((n) => (n.subtree !== undefined && searched(n, n.subtree) ? [n.subtree] : []));
    const found = ids.length > 1 ? await this.repo.index.lookupMany(ids).catch(() => []) : [];
    const out = new Map<BlobId, BlobLocation>();
    found.forEach((loc, i) => loc && out.set(ids[i]!, loc));
    return out;
  }

  /** The wanted blobs among a node's content and subtree (or `tree`, for the root). */
  #blobsOf(node: Node | undefined, tree?: BlobId): BlobId[] {
    const wanted = this.query.blobs;
    if (!wanted || wanted.length === 0) return [];
    const ids = [...(node?.content ?? []), ...(node?.subtree ? [node.subtree] : []), ...(tree ? [tree] : [])];
    return [...new Set(ids.filter((id) => wanted.some((w) => id.startsWith(w))))];
  }
}
