/** Finds the children of mount entries: the virtual top levels from the layout, then snapshot trees. */
import type { BlobId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import { DirListing } from './dir-listing.js';
import { DEFAULT_HISTORY_BYTES, HISTORY, HistoryDirs } from './history-dirs.js';
import { Errno } from './errno.js';
import type { FsEntry, TreeEntry, VirtualDir } from './fs-entry.js';
import { InodeTable, ROOT_INO } from './inode-table.js';
import { snapshotRootNode } from './node-attrs.js';
import type { SnapshotCatalog } from './snapshot-catalog.js';
import { LATEST, latestName, type SnapshotLayout, type SnapshotsByName } from './snapshot-layout.js';
import type { TreeCache } from './tree-cache.js';

export const TOP_DIRS = ['snapshots', 'ids', 'hosts', 'tags', HISTORY] as const;

type VirtualChild = { kind: 'vdir' } | { kind: 'vlink'; target: string } | { kind: 'snapshot'; snapshot: Snapshot };

/** A negative errno, or the entry. */
export type Resolved = FsEntry | number;

export class EntryResolver {
  readonly root: VirtualDir = { kind: 'vdir', ino: ROOT_INO, path: [] };
  /** Snapshot roots by snapshot id: few, small, and each built with a date parse. */
  private readonly roots = new Map<string, TreeEntry>();

  constructor(
    private readonly catalog: SnapshotCatalog,
    /** Listings of snapshot directories (also where held nodes are rebuilt from). */
    readonly trees: TreeCache,
    private readonly inodes: InodeTable,
    /** The directories under /history (they share the tree cache and the node numbers). */
    private readonly history: HistoryDirs = new HistoryDirs(trees, inodes, DEFAULT_HISTORY_BYTES),
  ) {}

  /**
   * The entry `name` (raw bytes) in `dir`: from memory when the listing is loaded, else once it is.
   * A name missing from a top-level directory re-lists the snapshots first if the list is stale.
   */
  child(dir: FsEntry, name: Buffer): Resolved | Promise<Resolved> {
    if (dir.kind === 'vlink') return Errno.ENOTDIR;
    if (dir.kind === 'vdir') return this.virtualChild(dir, name);
    const listing = this.listing(dir);
    if (typeof listing === 'number') return listing;
    if (!(listing instanceof Promise)) return this.named(dir, listing, name);
    return listing.then((l) => this.named(dir, l, name));
  }

  /** The children of a top-level directory, listing the snapshots again if the list is stale. */
  async listVirtual(dir: VirtualDir): Promise<[Buffer, FsEntry][]> {
    const layout = await this.catalog.fresh();
    if (dir.history !== undefined) return this.history.list(layout, dir.history);
    const out: [Buffer, FsEntry][] = [];
    for (const name of virtualNames(layout, dir.path)) {
      const child = lookupVirtual(layout, dir.path, name);
      if (child) out.push([Buffer.from(name), this.virtualEntry([...dir.path, name], child)]);
    }
    return out;
  }

  /** The listing of a directory of a snapshot, from memory if loaded. */
  listing(dir: TreeEntry): DirListing | Promise<DirListing> | number {
    const subtree = dir.listing.subtree(dir.index);
    return subtree === undefined ? Errno.ENOTDIR : this.trees.get(subtree);
  }

  /** Entry `index` of `dir`, whose listing is `listing`, the tree `listedIn` (passed when known: it is read from bytes). */
  childAt(dir: TreeEntry, listing: DirListing, index: number, listedIn = dir.listing.subtree(dir.index) as BlobId): TreeEntry {
    return { kind: 'node', ino: this.childIno(dir, listing, index), snapshot: dir.snapshot, listing, index, listedIn };
  }

  /** Entry `index` of the directory that lists `dir`, a directory too (never a hardlink: numbered in the same block). */
  sibling(dir: TreeEntry, index: number): TreeEntry {
    return { ...dir, ino: this.inodes.sibling(dir.ino, dir.index, index), index };
  }

  /** The number of entry `index` of `dir`, whose listing is `listing`. */
  childIno(dir: TreeEntry, listing: DirListing, index: number): number {
    const own = this.inodes.forChild(dir.ino, index, listing.length);
    return listing.sharesInode(index) ? this.inodes.forLink(dir.snapshot.id, own, listing.node(index)) : own;
  }

  private named(dir: TreeEntry, listing: DirListing, name: Buffer): Resolved {
    const i = listing.find(name);
    return i < 0 ? Errno.ENOENT : this.childAt(dir, listing, i);
  }

  private virtualChild(dir: VirtualDir, raw: Buffer): Resolved | Promise<Resolved> {
    if (dir.history !== undefined) return this.historyChild(dir.history, raw);
    const name = raw.toString('utf8');
    if (Buffer.byteLength(name) !== raw.length) return Errno.ENOENT; // not UTF-8: no top-level name is
    const layout = this.catalog.cached;
    if (layout) {
      const found = this.virtualIn(layout, dir.path, name);
      if (found !== Errno.ENOENT || !this.catalog.stale) return found;
    }
    return this.catalog.fresh().then((l) => this.virtualIn(l, dir.path, name));
  }

  /** A name under /history, found in the current layout (listed again first when stale: new snapshots show). */
  private async historyChild(parts: readonly Buffer[], name: Buffer): Promise<Resolved> {
    const layout = this.catalog.stale || !this.catalog.cached ? await this.catalog.fresh() : this.catalog.cached;
    return (await this.history.child(layout, parts, name)) ?? Errno.ENOENT;
  }

  private virtualIn(layout: SnapshotLayout, parent: readonly string[], name: string): Resolved {
    const child = lookupVirtual(layout, parent, name);
    return child ? this.virtualEntry([...parent, name], child) : Errno.ENOENT;
  }

  /** A `latest` link gets a new number when its target changes, so the kernel never serves a stale target. */
  private virtualEntry(parts: readonly string[], child: VirtualChild): FsEntry {
    if (child.kind === 'snapshot') return this.rootEntry(child.snapshot);
    const path = `/${parts.join('/')}`;
    if (child.kind === 'vdir' && parts.length === 1 && parts[0] === HISTORY) return this.history.dir([]);
    if (child.kind === 'vdir') return { kind: 'vdir', ino: this.inodes.forVirtual(path), path: parts };
    return { kind: 'vlink', ino: this.inodes.forVirtual(`${path}\0${child.target}`), target: child.target };
  }

  private rootEntry(snapshot: Snapshot): TreeEntry {
    let root = this.roots.get(snapshot.id);
    if (!root) {
      root = {
        kind: 'node',
        ino: this.inodes.forSnapshotRoot(snapshot.id),
        snapshot,
        listing: DirListing.from([snapshotRootNode(snapshot)]),
        index: 0,
      };
      this.roots.set(snapshot.id, root);
    }
    return root;
  }
}

function groupsOf(layout: SnapshotLayout, top: string | undefined): ReadonlyMap<string, SnapshotsByName> | undefined {
  return top === 'hosts' ? layout.hosts : top === 'tags' ? layout.tags : undefined;
}

function lookupVirtual(layout: SnapshotLayout, parent: readonly string[], name: string): VirtualChild | undefined {
  const [top, group] = parent;
  if (parent.length === 0) return (TOP_DIRS as readonly string[]).includes(name) ? { kind: 'vdir' } : undefined;
  if (parent.length === 1 && top === 'snapshots') return inGroup(layout.byTime, name, true);
  if (parent.length === 1 && top === 'ids') return inGroup(layout.byShortId, name, false);
  const groups = groupsOf(layout, top);
  if (!groups) return undefined;
  if (parent.length === 1) return groups.has(name) ? { kind: 'vdir' } : undefined;
  const snapshots = parent.length === 2 && group !== undefined ? groups.get(group) : undefined;
  return snapshots && inGroup(snapshots, name, true);
}

function inGroup(group: SnapshotsByName, name: string, withLatest: boolean): VirtualChild | undefined {
  if (withLatest && name === LATEST) {
    const target = latestName(group);
    return target === undefined ? undefined : { kind: 'vlink', target };
  }
  const snapshot = group.get(name);
  return snapshot && { kind: 'snapshot', snapshot };
}

function virtualNames(layout: SnapshotLayout, path: readonly string[]): string[] {
  const [top, group] = path;
  if (path.length === 0) return [...TOP_DIRS];
  const withLatest = (g: SnapshotsByName): string[] => (g.size > 0 ? [...g.keys(), LATEST] : []);
  if (top === 'snapshots') return withLatest(layout.byTime);
  if (top === 'ids') return [...layout.byShortId.keys()];
  const groups = groupsOf(layout, top);
  if (!groups) return [];
  if (path.length === 1) return [...groups.keys()];
  const snapshots = group === undefined ? undefined : groups.get(group);
  return snapshots ? withLatest(snapshots) : [];
}
