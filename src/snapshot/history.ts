/**
 * The versions of one path across snapshots: consecutive snapshots (in time order) holding the same
 * content and metadata at the path are one version. Shared by `rozen history` and the mount's /history.
 */
import { shortId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import type { Node } from './node.js';
import { underAny } from './path.js';

/** What the path held in one snapshot (`node` undefined: absent), with whatever the caller needs to reach it again. */
export interface HistoryPoint<T> {
  readonly snapshot: Snapshot;
  readonly node: Node | undefined;
  readonly item: T;
}

/** How a version differs from the one before it: `added` when the path was absent (or in no earlier snapshot). */
export type VersionChange = 'added' | 'content' | 'metadata';

export interface PathVersion<T> {
  /** The snapshots holding this version, oldest first (at least one). */
  readonly snapshots: readonly Snapshot[];
  /** The node and item of the first of them. */
  readonly node: Node;
  readonly item: T;
  readonly change: VersionChange;
}

/**
 * Content: the type, size, chunk ids and symlink target (what a reader of the bytes sees). Metadata: mode,
 * owner ids and mtime. Access and change times, inode numbers and extended attributes are left out: they
 * change without the file changing (ctime moves on every link or chmod; atime on reads).
 */
export function contentKey(n: Node): string {
  return `${n.type}:${n.size}:${(n.content ?? []).join(',')}:${n.linkTarget?.toString('hex') ?? ''}:${n.rdev ?? ''}`;
}

export function metadataKey(n: Node): string {
  return `${n.mode}:${n.uid}:${n.gid}:${n.mtimeNs}`;
}

/**
 * Versions of `points` (in time order): a point starts a new version when the point before it was absent,
 * or held other content or metadata; otherwise it joins the version before it.
 */
export function collapseVersions<T>(points: readonly HistoryPoint<T>[]): PathVersion<T>[] {
  const versions: { snapshots: Snapshot[]; node: Node; item: T; change: VersionChange }[] = [];
  let prev: Node | undefined;
  for (const p of points) {
    const node = p.node;
    const last = versions.at(-1);
    if (node === undefined) {
      prev = undefined;
      continue;
    }
    if (prev !== undefined && last !== undefined && contentKey(prev) === contentKey(node) && metadataKey(prev) === metadataKey(node)) {
      last.snapshots.push(p.snapshot);
    } else {
      const change: VersionChange = prev === undefined ? 'added' : contentKey(prev) === contentKey(node) ? 'metadata' : 'content';
      versions.push({ snapshots: [p.snapshot], node, item: p.item, change });
    }
    prev = node;
  }
  return versions;
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC: how the mount names snapshots and versions by time. */
export function secondsName(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 'invalid-time' : new Date(ms).toISOString().slice(0, 19);
}

/**
 * The name of each version in a listing: `<name>@<time of its first snapshot>`; a version whose name is
 * taken by an earlier one (snapshots in the same second) gets `-<short id>` of its first snapshot.
 */
export function versionNames(name: Buffer, versions: readonly PathVersion<unknown>[]): Buffer[] {
  const taken = new Set<string>();
  return versions.map((v) => {
    const first = v.snapshots[0] as Snapshot;
    let suffix = `@${secondsName(first.time)}`;
    if (taken.has(suffix)) suffix += `-${shortId(first.id)}`;
    if (taken.has(suffix)) suffix = `@${secondsName(first.time)}-${first.id}`;
    taken.add(suffix);
    return Buffer.concat([name, Buffer.from(suffix)]);
  });
}

/** Whether `snapshot` backed up `path` (absolute, '/'-joined): absence from it then means the path was gone. */
export function covers(snapshot: Snapshot, path: string): boolean {
  return underAny(snapshot.paths, path);
}
