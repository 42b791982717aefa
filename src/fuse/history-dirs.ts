/**
 * The directories under /history: for a path as the snapshots record it, the union of its children
 * across snapshots (directories to descend into) and, where it is not a directory, one entry per
 * version (see snapshot/history.ts), which is that snapshot's node. Built from the trees only, walking
 * each snapshot one level below its parent's walk; what is built is kept in a cache bounded in bytes.
 */
import type { BlobId, SnapshotId } from '../core/ids.js';
import { MiB } from '../core/sizes.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import type { Snapshot } from '../core/snapshot.js';
import { collapseVersions, covers, versionNames, type HistoryPoint, type PathVersion } from '../snapshot/history.js';
import type { DirListing } from './dir-listing.js';
import type { FsEntry, TreeEntry, VirtualDir } from './fs-entry.js';
import type { InodeTable } from './inode-table.js';
import type { SnapshotLayout } from './snapshot-layout.js';
import type { Listings } from './held-entries.js';

export const HISTORY = 'history';
/** Paths built, by default: a path present in 1,000 snapshots takes about 200 KiB. */
export const DEFAULT_HISTORY_BYTES = 16 * MiB;

/** Where a path is in one snapshot: entry `index` of the tree `tree` (the root of a snapshot: `tree` its root, index -1). */
interface Position {
  readonly tree: BlobId;
  readonly index: number;
}

type Child = { readonly kind: 'dir' } | { readonly kind: 'version'; readonly snapshot: Snapshot; readonly at: Position };

/** A directory's names in the order listed, and what each is, for one snapshot layout. */
interface Listing {
  readonly layout: SnapshotLayout;
  readonly names: readonly Buffer[];
  readonly byName: ReadonlyMap<string, Child>;
}

interface Built {
  /** Position per snapshot id (null: absent), kept across layouts: a new snapshot costs only its own walk. */
  readonly at: Map<SnapshotId, Position | null>;
  /** The listing for the last layout asked (rebuilt when the snapshot list changed). */
  listing?: Listing;
  /** Estimated bytes, as last counted. */
  bytes: number;
}

/** Estimated bytes of one position and one listed name besides the name itself (map entries, strings, objects). */
const POSITION_BYTES = 200;
const NAME_BYTES = 150;
const ROOT_INDEX = -1;
/** Trees loaded at once while walking the snapshots (each a fetch and a decode on the thread pool). */
const LOADS = 16;

export class HistoryDirs {
  /** Built paths by key, least recently used first, bounded by `maxBytes` (the newest is kept even over it). */
  private readonly built = new Map<string, Built>();
  private bytes = 0;
  private readonly inflight = new Map<string, Promise<Listing>>();

  constructor(
    private readonly trees: Listings,
    private readonly inodes: InodeTable,
    private readonly maxBytes: number,
  ) {}

  /** Estimated bytes kept (for tests). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** The /history directory for `parts` (the top one for none). */
  dir(parts: readonly Buffer[]): VirtualDir {
    const path = [HISTORY, ...parts.map((p) => p.toString('utf8'))];
    return { kind: 'vdir', ino: this.inodes.forVirtual(keyOf(parts)), path, history: parts };
  }

  /** The entries of the directory for `parts`: subdirectories by name, then versions oldest first. */
  async list(layout: SnapshotLayout, parts: readonly Buffer[]): Promise<[Buffer, FsEntry][]> {
    const { names, byName } = await this.listing(layout, parts);
    const out: [Buffer, FsEntry][] = [];
    for (const name of names) out.push([name, await this.entry(parts, name, byName.get(name.toString('hex')) as Child)]);
    return out;
  }

  /** The entry `name` of the directory for `parts`, or undefined. */
  async child(layout: SnapshotLayout, parts: readonly Buffer[], name: Buffer): Promise<FsEntry | undefined> {
    const found = (await this.listing(layout, parts)).byName.get(name.toString('hex'));
    return found === undefined ? undefined : this.entry(parts, name, found);
  }

  private async entry(parts: readonly Buffer[], name: Buffer, child: Child): Promise<FsEntry> {
    if (child.kind === 'dir') return this.dir([...parts, name]);
    const { tree, index } = child.at;
    const listing = await this.trees.get(tree);
    const ino = this.inodes.forVirtual(`${keyOf(parts)}\0${child.snapshot.id}`);
    const entry: TreeEntry = { kind: 'node', ino, snapshot: child.snapshot, listing, index, listedIn: tree };
    return entry;
  }

  private listing(layout: SnapshotLayout, parts: readonly Buffer[]): Promise<Listing> {
    const key = keyOf(parts);
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = this.buildListing(layout, parts).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async buildListing(layout: SnapshotLayout, parts: readonly Buffer[]): Promise<Listing> {
    const built = await this.positions(layout, parts);
    if (built.listing?.layout !== layout) {
      built.listing = await this.listed(layout, parts, built.at);
      this.account(keyOf(parts), built);
    }
    return built.listing;
  }

  /** Children (union over the snapshots where the path is a directory) and versions (where it is not). */
  private async listed(layout: SnapshotLayout, parts: readonly Buffer[], at: Map<SnapshotId, Position | null>): Promise<Listing> {
    const byName = new Map<string, Child>();
    const names: Buffer[] = [];
    const points: HistoryPoint<Position | null>[] = [];
    const text = `/${parts.map((p) => p.toString('utf8')).join('/')}`;
    const snapshots = [...layout.byTime.values()];
    // The listings needed, loaded several at once first (most are then in the tree cache below).
    await forEachLimited(snapshots, LOADS, async (s) => {
      const pos = at.get(s.id) ?? null;
      if (pos !== null && pos.index !== ROOT_INDEX) await this.trees.get(pos.tree);
      const sub = pos === null ? undefined : await this.subtree(pos);
      if (sub !== undefined) await this.trees.get(sub);
    });
    for (const snapshot of snapshots) {
      const pos = at.get(snapshot.id) ?? null;
      const node = pos === null || pos.index === ROOT_INDEX ? undefined : (await this.trees.get(pos.tree)).node(pos.index);
      const sub = pos === null ? undefined : await this.subtree(pos);
      if (sub !== undefined) addNames(await this.trees.get(sub), byName, names);
      // A directory at the path, or no entry there, ends a run of versions (where the snapshot backed the path up).
      if (node !== undefined && node.type !== 'dir') points.push({ snapshot, node, item: pos });
      else if (parts.length > 0 && covers(snapshot, text)) points.push({ snapshot, node: undefined, item: null });
    }
    names.sort((a, b) => Buffer.compare(a, b));
    const versions = collapseVersions(points);
    versionNames(parts.at(-1) ?? Buffer.alloc(0), versions).forEach((name, i) => {
      const v = versions[i] as PathVersion<Position | null>;
      const key = name.toString('hex');
      if (!byName.has(key)) names.push(name);
      byName.set(key, { kind: 'version', snapshot: v.snapshots[0] as Snapshot, at: v.item as Position });
    });
    return { layout, names, byName };
  }

  /** Positions of `parts` in every snapshot of `layout`: from those of its parent, one level down. */
  private async positions(layout: SnapshotLayout, parts: readonly Buffer[]): Promise<Built> {
    const key = keyOf(parts);
    const cached = this.built.get(key);
    const missing = [...layout.byTime.values()].filter((s) => !cached?.at.has(s.id));
    if (cached !== undefined && missing.length === 0 && cached.at.size === layout.byTime.size) return this.touch(key, cached);
    const parent = parts.length === 0 ? undefined : await this.positions(layout, parts.slice(0, -1));
    const built: Built = this.built.get(key) ?? { at: new Map(), bytes: 0 };
    const name = parts.at(-1) as Buffer;
    await forEachLimited(missing, LOADS, async (s) => {
      if (parent === undefined) built.at.set(s.id, { tree: s.tree, index: ROOT_INDEX });
      else built.at.set(s.id, await this.step(parent.at.get(s.id) ?? null, name));
    });
    // Forgotten snapshots are dropped.
    if (built.at.size > layout.byTime.size) {
      const present = new Set([...layout.byTime.values()].map((s) => s.id));
      for (const id of built.at.keys()) if (!present.has(id)) built.at.delete(id);
    }
    this.account(key, built);
    return built;
  }

  /** The position of `name` below `pos`, if `pos` is a directory holding it. */
  private async step(pos: Position | null, name: Buffer): Promise<Position | null> {
    const sub = pos === null ? undefined : await this.subtree(pos);
    if (sub === undefined) return null;
    const index = (await this.trees.get(sub)).find(name);
    return index < 0 ? null : { tree: sub, index };
  }

  private async subtree(pos: Position): Promise<BlobId | undefined> {
    if (pos.index === ROOT_INDEX) return pos.tree;
    return (await this.trees.get(pos.tree)).subtree(pos.index);
  }

  private touch(key: string, built: Built): Built {
    this.built.delete(key);
    this.built.set(key, built);
    return built;
  }

  /** Counts `built` anew (it may replace another built at the same time) and drops the least recently used paths over the bound. */
  private account(key: string, built: Built): void {
    const old = this.built.get(key);
    if (old !== undefined) this.bytes -= old.bytes;
    built.bytes = built.at.size * POSITION_BYTES + (built.listing?.names.reduce((n, name) => n + name.length + NAME_BYTES, 0) ?? 0);
    this.bytes += built.bytes;
    this.touch(key, built);
    for (const [oldest, b] of this.built) {
      if (this.bytes <= this.maxBytes || oldest === key) break;
      this.built.delete(oldest);
      this.bytes -= b.bytes;
    }
  }
}

/** A key of its own among the mount's virtual paths (names as hex: they need not be UTF-8). */
function keyOf(parts: readonly Buffer[]): string {
  return `\0${HISTORY}/${parts.map((p) => p.toString('hex')).join('/')}`;
}

function addNames(listing: DirListing, byName: Map<string, Child>, names: Buffer[]): void {
  for (let i = 0; i < listing.length; i++) {
    const name = listing.name(i);
    const key = name.toString('hex');
    if (byName.has(key)) continue;
    byName.set(key, { kind: 'dir' });
    names.push(Buffer.from(name));
  }
}
