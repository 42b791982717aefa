/**
 * Every entry the kernel holds, by node id, with the kernel's reference count. Nodes of snapshot
 * trees are compact records (HeldNodes) and are rebuilt from their directory's listing when asked
 * for (from the tree cache, or loaded again); the few others (the top levels, snapshot roots) are
 * kept whole.
 */
import type { BlobId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import { corrupt } from '../core/errors.js';
import type { Node } from '../snapshot/node.js';
import type { FsEntry, TreeEntry } from './fs-entry.js';
import { blobKeyOf, HeldNodes, NO_BLOB } from './held-nodes.js';
import type { Listing } from './tree-cache.js';

/** A directory's listing: at once when cached, else once loaded. */
export type ListingOf = (tree: BlobId) => Listing | Promise<Listing>;

interface HeldDir {
  readonly snapshot: Snapshot;
  readonly tree: BlobId;
  /** Held nodes recorded in this directory. */
  nodes: number;
}

export class HeldEntries {
  private readonly others = new Map<number, { readonly entry: FsEntry; refs: number }>();
  private readonly nodes = new HeldNodes();
  /** Directories with held nodes, by number: one per (snapshot, tree), counted. */
  private readonly dirs: (HeldDir | undefined)[] = [];
  private readonly dirNumbers = new Map<string, Map<BlobId, number>>();
  private readonly freeDirs: number[] = [];

  constructor(
    private readonly listingOf: ListingOf,
    root: FsEntry,
  ) {
    this.others.set(root.ino, { entry: root, refs: Infinity });
  }

  /** How many entries the kernel holds. */
  get count(): number {
    return this.others.size + this.nodes.size;
  }

  /** Bytes of the compact records (for tests). */
  get recordBytes(): number {
    return this.nodes.byteLength;
  }

  has(ino: number): boolean {
    return this.others.has(ino) || this.nodes.slotOf(ino) >= 0;
  }

  /** One more reference to `e`; true when the kernel held none before. */
  hold(e: FsEntry): boolean {
    if (e.kind === 'node' && e.listedIn !== undefined && e.index !== undefined) return this.holdNode(e.snapshot, e.listedIn, e.index, e.ino, e.node);
    const held = this.others.get(e.ino);
    if (held !== undefined) {
      held.refs++;
      return false;
    }
    this.others.set(e.ino, { entry: e, refs: 1 });
    return true;
  }

  /** One more reference to `node`, entry `index` of the listing `tree` of `snapshot`, numbered `ino`. */
  holdNode(snapshot: Snapshot, tree: BlobId, index: number, ino: number, node: Node): boolean {
    if (this.nodes.addRef(ino)) return false;
    const blob = wholeBlob(node);
    this.nodes.add(ino, this.retainDir(snapshot, tree), index, blob === undefined ? NO_BLOB : blobKeyOf(blob));
    return true;
  }

  forget(ino: number, count: number): void {
    const dir = this.nodes.forget(ino, count);
    if (dir >= 0) return this.releaseDir(dir);
    const held = this.others.get(ino);
    if (held === undefined) return;
    held.refs -= count;
    if (held.refs <= 0) this.others.delete(ino);
  }

  /** The held entry `ino` (undefined when not held), rebuilt from its directory's listing. */
  entry(ino: number): FsEntry | undefined | Promise<FsEntry | undefined> {
    const other = this.others.get(ino)?.entry;
    if (other !== undefined) return other;
    const slot = this.nodes.slotOf(ino);
    if (slot < 0) return undefined;
    const dir = this.dirs[this.nodes.dirAt(slot)] as HeldDir;
    const index = this.nodes.indexAt(slot);
    const listing = this.listingOf(dir.tree);
    if (!(listing instanceof Promise)) return treeEntry(dir, listing, index, ino);
    return listing.then((l) => treeEntry(dir, l, index, ino));
  }

  /** The held entry `ino` if its listing is cached; undefined otherwise (never waits). */
  cachedEntry(ino: number): TreeEntry | undefined {
    const slot = this.nodes.slotOf(ino);
    if (slot < 0) return undefined;
    const dir = this.dirs[this.nodes.dirAt(slot)] as HeldDir;
    const listing = this.listingOf(dir.tree);
    return listing instanceof Promise ? undefined : treeEntry(dir, listing, this.nodes.indexAt(slot), ino);
  }

  /** Calls `fn` with each held node recorded as stored whole in blob `id` (maybe another blob of the same key: check). */
  withWholeBlob(id: BlobId, fn: (ino: number) => void): void {
    this.nodes.withBlob(blobKeyOf(id), fn);
  }

  private retainDir(snapshot: Snapshot, tree: BlobId): number {
    let numbers = this.dirNumbers.get(snapshot.id);
    if (numbers === undefined) this.dirNumbers.set(snapshot.id, (numbers = new Map()));
    let n = numbers.get(tree);
    if (n === undefined) {
      n = this.freeDirs.pop() ?? this.dirs.length;
      this.dirs[n] = { snapshot, tree, nodes: 0 };
      numbers.set(tree, n);
    }
    (this.dirs[n] as HeldDir).nodes++;
    return n;
  }

  private releaseDir(n: number): void {
    const dir = this.dirs[n] as HeldDir;
    if (--dir.nodes > 0) return;
    const numbers = this.dirNumbers.get(dir.snapshot.id);
    numbers?.delete(dir.tree);
    if (numbers?.size === 0) this.dirNumbers.delete(dir.snapshot.id);
    this.dirs[n] = undefined;
    this.freeDirs.push(n);
  }
}

/** The blob holding all of a file's bytes, for files stored in one. */
export function wholeBlob(node: Node): BlobId | undefined {
  return node.type === 'file' && node.content?.length === 1 ? node.content[0] : undefined;
}

function treeEntry(dir: HeldDir, listing: Listing, index: number, ino: number): TreeEntry {
  const node = listing[index];
  if (node === undefined) throw corrupt(`tree ${dir.tree} has no entry ${index}`);
  return { kind: 'node', ino, snapshot: dir.snapshot, node, siblings: listing, index, listedIn: dir.tree };
}
