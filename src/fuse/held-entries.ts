/**
 * Every entry the kernel holds, by node id, with the kernel's reference count. Nodes of snapshot
 * trees are compact records (HeldNodes) and are rebuilt from their directory's listing when asked
 * for (from the tree cache, or loaded again); the few others (the top levels, snapshot roots) are
 * kept whole.
 */
import type { BlobId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import { corrupt } from '../core/errors.js';
import type { DirListing } from './dir-listing.js';
import type { FsEntry, TreeEntry } from './fs-entry.js';
import { blobKeyOf, HeldNodes } from './held-nodes.js';
import type { TreeCache } from './tree-cache.js';

/** Listings by tree: at once when cached (`peek` only then), else once loaded. */
export type Listings = Pick<TreeCache, 'get' | 'peek'>;

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
    private readonly listings: Listings,
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
    if (e.kind === 'node' && e.listedIn !== undefined) return this.holdNode(e.snapshot, e.listedIn, e.listing, e.index, e.ino);
    const held = this.others.get(e.ino);
    if (held !== undefined) {
      held.refs++;
      return false;
    }
    this.others.set(e.ino, { entry: e, refs: 1 });
    return true;
  }

  /** One more reference to `ino`, entry `index` of `listing`, the tree `tree` of `snapshot`. */
  holdNode(snapshot: Snapshot, tree: BlobId, listing: DirListing, index: number, ino: number): boolean {
    if (this.nodes.addRef(ino)) return false;
    this.nodes.add(ino, this.retainDir(snapshot, tree), index, listing.wholeBlobKey(index));
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
    const listing = this.listings.get(dir.tree);
    if (!(listing instanceof Promise)) return treeEntry(dir, listing, index, ino);
    return listing.then((l) => treeEntry(dir, l, index, ino));
  }

  /** The held entry `ino` if its listing is cached; undefined otherwise (never waits). */
  cachedEntry(ino: number): TreeEntry | undefined {
    const slot = this.nodes.slotOf(ino);
    if (slot < 0) return undefined;
    const dir = this.dirs[this.nodes.dirAt(slot)] as HeldDir;
    const listing = this.listings.peek(dir.tree);
    return listing === undefined ? undefined : treeEntry(dir, listing, this.nodes.indexAt(slot), ino);
  }

  /** True the first time since `ino` is held: its whole content goes to the kernel's page cache once. */
  firstPush(ino: number): boolean {
    return this.nodes.firstPush(ino);
  }

  /** Calls `fn` with each held node recorded as stored whole in blob `id` (maybe another blob of the same key: check). */
  withWholeBlob(id: BlobId, fn: (ino: number) => void): void {
    this.nodes.withBlob(blobKeyOf(id), fn);
  }

  private retainDir(snapshot: Snapshot, tree: BlobId): number {
    let numbers = this.dirNumbers.get(snapshot.id);
    if (numbers === undefined) this.dirNumbers.set(snapshot.id, (numbers = new Map<BlobId, number>()));
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

function treeEntry(dir: HeldDir, listing: DirListing, index: number, ino: number): TreeEntry {
  if (index >= listing.length) throw corrupt(`tree ${dir.tree} has no entry ${index}`);
  return { kind: 'node', ino, snapshot: dir.snapshot, listing, index, listedIn: dir.tree };
}
