/** Resolves mount paths to entries: the virtual top levels from the layout, then snapshot trees. */
import type { BlobId } from '../core/ids.js';
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../core/snapshot.js';
import { Errno } from './errno.js';
import type { FsEntry, TreeEntry, VirtualDir } from './fs-entry.js';
import { InodeTable, ROOT_INO } from './inode-table.js';
import { snapshotRootNode } from './node-attrs.js';
import type { SnapshotCatalog } from './snapshot-catalog.js';
import { LATEST, latestName, type SnapshotLayout, type SnapshotsByName } from './snapshot-layout.js';
import type { Listing, TreeCache } from './tree-cache.js';

export const TOP_DIRS = ['snapshots', 'ids', 'hosts', 'tags'] as const;

type VirtualChild = { kind: 'vdir' } | { kind: 'vlink'; target: string } | { kind: 'snapshot'; snapshot: Snapshot };

/** A negative errno, or the entry. */
export type Resolved = FsEntry | number;

export class PathResolver {
  /** Snapshot roots by snapshot id: few, small, and each built with a date parse. */
  private readonly roots = new Map<string, TreeEntry>();

  constructor(
    private readonly catalog: SnapshotCatalog,
    private readonly trees: TreeCache,
    private readonly inodes: InodeTable,
  ) {}

  /** Resolves from memory; undefined when a listing (or the snapshot list) must be loaded first. */
  resolveSync(path: string): Resolved | undefined {
    const parts = splitPath(path);
    if (parts.length === 0) return { kind: 'vdir', ino: ROOT_INO, path: [] };
    const layout = this.catalog.cached;
    if (!layout) return undefined;
    const found = this.resolveVirtual(layout, parts);
    if (found === Errno.ENOENT && this.catalog.stale) return undefined;
    if (typeof found === 'number' || found.kind !== 'node') return found;
    const walked = this.walk(found, parts, snapshotDepth(parts) + 1);
    return isPending(walked) ? undefined : walked;
  }

  /** Resolves, loading what is missing; an unknown top-level name re-lists the snapshots if stale. */
  async resolve(path: string): Promise<Resolved> {
    const parts = splitPath(path);
    if (parts.length === 0) return { kind: 'vdir', ino: ROOT_INO, path: [] };
    let found = this.resolveVirtual(this.catalog.cached ?? (await this.catalog.fresh()), parts);
    if (found === Errno.ENOENT && this.catalog.stale) found = this.resolveVirtual(await this.catalog.fresh(), parts);
    if (typeof found === 'number' || found.kind !== 'node') return found;
    let walked = this.walk(found, parts, snapshotDepth(parts) + 1);
    while (isPending(walked)) {
      const { dir, at, subtree } = walked.pending;
      walked = this.walk(dir, parts, at, await this.trees.load(subtree));
    }
    return walked;
  }

  /** Names of a virtual directory's children, with their entries; re-lists snapshots if stale. */
  async listVirtual(dir: VirtualDir): Promise<[string, FsEntry][]> {
    const layout = await this.catalog.fresh();
    const names = virtualNames(layout, dir.path);
    const out: [string, FsEntry][] = [];
    for (const name of names) {
      const child = lookupVirtual(layout, dir.path, name);
      if (child) out.push([name, this.virtualEntry([...dir.path, name], child)]);
    }
    return out;
  }

  /** The listing of a directory of a snapshot, loaded on first use. */
  async listing(dir: TreeEntry): Promise<Listing | number> {
    const subtree = dir.node.type === 'dir' ? dir.node.subtree : undefined;
    if (subtree === undefined) return Errno.ENOTDIR;
    return this.trees.peek(subtree) ?? this.trees.load(subtree);
  }

  /** Entry `index` of `dir`, whose listing is `listing`. */
  child(dir: TreeEntry, listing: Listing, index: number): TreeEntry {
    const node = listing.nodes[index] as Node;
    const ino = this.inodes.forChild(dir.snapshot.id, dir.ino, index, listing.nodes.length, node);
    return { kind: 'node', ino, snapshot: dir.snapshot, node, siblings: listing.nodes, index };
  }

  private resolveVirtual(layout: SnapshotLayout, parts: readonly string[]): Resolved {
    for (let i = 0; i < parts.length; i++) {
      const child = lookupVirtual(layout, parts.slice(0, i), parts[i] as string);
      if (!child) return Errno.ENOENT;
      const at = parts.slice(0, i + 1);
      if (child.kind === 'snapshot') return this.virtualEntry(at, child);
      if (i === parts.length - 1) return this.virtualEntry(at, child);
      if (child.kind === 'vlink') return Errno.ENOTDIR;
    }
    return Errno.ENOENT;
  }

  private virtualEntry(parts: readonly string[], child: VirtualChild): FsEntry {
    if (child.kind === 'snapshot') return this.rootEntry(child.snapshot);
    const ino = this.inodes.forVirtual(`/${parts.join('/')}`);
    return child.kind === 'vdir' ? { kind: 'vdir', ino, path: parts } : { kind: 'vlink', ino, target: child.target };
  }

  private rootEntry(snapshot: Snapshot): TreeEntry {
    let root = this.roots.get(snapshot.id);
    if (!root) {
      root = { kind: 'node', ino: this.inodes.forSnapshotRoot(snapshot.id), snapshot, node: snapshotRootNode(snapshot) };
      this.roots.set(snapshot.id, root);
    }
    return root;
  }

  /** Down `parts` from index `from`, as far as loaded listings go (`first` is the listing of `cur`). */
  private walk(cur: TreeEntry, parts: readonly string[], from: number, first?: Listing): Resolved | Pending {
    for (let i = from; i < parts.length; i++) {
      const subtree = cur.node.type === 'dir' ? cur.node.subtree : undefined;
      if (subtree === undefined) return Errno.ENOTDIR;
      const listing = i === from && first ? first : this.trees.peek(subtree);
      if (!listing) return { pending: { dir: cur, at: i, subtree } };
      const index = listing.index.get(parts[i] as string);
      if (index === undefined) return Errno.ENOENT;
      cur = this.child(cur, listing, index);
    }
    return cur;
  }
}

/** Where a walk stopped for a listing that is not loaded. */
interface Pending {
  readonly pending: { readonly dir: TreeEntry; readonly at: number; readonly subtree: BlobId };
}

function isPending(r: Resolved | Pending): r is Pending {
  return typeof r === 'object' && 'pending' in r;
}

export function splitPath(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}

/** Index of the snapshot component: /snapshots/<t>, /ids/<id> → 1; /hosts/<h>/<t>, /tags/<t>/<t> → 2. */
function snapshotDepth(parts: readonly string[]): number {
  return parts[0] === 'hosts' || parts[0] === 'tags' ? 2 : 1;
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
