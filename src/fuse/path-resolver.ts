/** Resolves mount paths to entries: the virtual top levels from the layout, then snapshot trees. */
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../snapshot/snapshot.js';
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
  constructor(
    private readonly catalog: SnapshotCatalog,
    private readonly trees: TreeCache,
    private readonly inodes: InodeTable,
  ) {}

  async resolve(path: string): Promise<Resolved> {
    const parts = splitPath(path);
    if (parts.length === 0) return { kind: 'vdir', ino: ROOT_INO, path: [] };
    const layout = this.catalog.cached ?? (await this.catalog.fresh());
    const found = this.resolveVirtual(layout, parts);
    if (found === Errno.ENOENT && this.catalog.stale) return this.resolveVirtual(await this.catalog.fresh(), parts);
    return typeof found === 'number' || found.kind !== 'node' ? found : this.walk(found, parts);
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
    return { kind: 'node', ino, snapshot: dir.snapshot, node };
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
    if (child.kind === 'snapshot') {
      const { snapshot } = child;
      return { kind: 'node', ino: this.inodes.forSnapshotRoot(snapshot.id), snapshot, node: snapshotRootNode(snapshot) };
    }
    const ino = this.inodes.forVirtual(`/${parts.join('/')}`);
    return child.kind === 'vdir' ? { kind: 'vdir', ino, path: parts } : { kind: 'vlink', ino, target: child.target };
  }

  /** From a snapshot root (at depth 2 or 3) down the remaining components. */
  private async walk(root: TreeEntry, parts: readonly string[]): Promise<Resolved> {
    let cur = root;
    for (const name of parts.slice(snapshotDepth(parts) + 1)) {
      const listing = await this.listing(cur);
      if (typeof listing === 'number') return listing;
      const index = listing.index.get(name);
      if (index === undefined) return Errno.ENOENT;
      cur = this.child(cur, listing, index);
    }
    return cur;
  }
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
