/** Decides what prune does with each pack, from the index, the live blobs and the stored objects. */
import type { ObjectInfo } from '../backend/backend.js';
import { parsePackName } from '../cas/pack-path.js';
import type { BlobId, PackId } from '../core/ids.js';
import type { PackDescription } from '../core/types.js';
import type { IndexView } from './index-view.js';

export interface PrunePolicy {
  /** Largest unused share of a pack (0–1) left alone; more is repacked. */
  readonly maxUnused: number;
  /** Unindexed packs and tmp/ objects younger than this (ms) are kept. */
  readonly graceMs: number;
  readonly now: number;
}

export interface RepackJob {
  readonly pack: PackDescription;
  /** The live blobs to copy, in pack order (each blob once across all jobs and kept packs). */
  readonly blobs: PackDescription['blobs'];
}

export interface PrunePlan {
  readonly keep: readonly PackDescription[];
  readonly repack: readonly RepackJob[];
  /** Indexed packs with nothing live. */
  readonly drop: readonly PackDescription[];
  /** Unindexed packs past the grace period. */
  readonly orphans: readonly ObjectInfo[];
  /** Unindexed packs within the grace period, left in place. */
  readonly young: readonly ObjectInfo[];
  readonly tmp: readonly ObjectInfo[];
  /** Indexed packs that are not stored (dropped from the index; none of them holds a live blob). */
  readonly lost: readonly PackId[];
}

const deadBytes = (p: PackDescription, live: ReadonlySet<BlobId>): number =>
  p.blobs.reduce((n, b) => n + (live.has(b.id) ? 0 : b.length), 0);

/** Every live blob must be indexed in a stored pack (the caller checks that first). */
export function planPrune(
  view: IndexView, live: ReadonlySet<BlobId>, stored: ReadonlyMap<string, ObjectInfo>, tmp: readonly ObjectInfo[], policy: PrunePolicy,
): PrunePlan {
  const keep: PackDescription[] = [];
  const toRepack: PackDescription[] = [];
  const drop: PackDescription[] = [];
  const lost: PackId[] = [];
  for (const pack of view.packs.values()) {
    const dead = deadBytes(pack, live);
    if (!stored.has(pack.id)) lost.push(pack.id);
    else if (!pack.blobs.some((b) => live.has(b.id))) drop.push(pack);
    else if (dead > policy.maxUnused * pack.size) toRepack.push(pack);
    else keep.push(pack);
  }
  const covered = new Set<BlobId>();
  for (const p of keep) for (const b of p.blobs) if (live.has(b.id)) covered.add(b.id);
  const repack: RepackJob[] = [];
  for (const pack of toRepack) {
    const blobs = pack.blobs.filter((b) => live.has(b.id) && !covered.has(b.id) && covered.add(b.id));
    if (blobs.length > 0) repack.push({ pack, blobs });
    else drop.push(pack);
  }
  const old = (o: ObjectInfo): boolean => policy.now - o.mtimeMs >= policy.graceMs;
  const unindexed = [...stored.values()].filter((o) => !view.packs.has(parsePackName(o.name) as PackId));
  return {
    keep, repack, drop, lost,
    orphans: unindexed.filter(old),
    young: unindexed.filter((o) => !old(o)),
    tmp: tmp.filter(old),
  };
}

/** Stored pack objects by pack id. */
export function packObjects(objects: readonly ObjectInfo[]): Map<string, ObjectInfo> {
  const out = new Map<string, ObjectInfo>();
  for (const o of objects) {
    const id = parsePackName(o.name);
    if (id !== undefined) out.set(id, o);
  }
  return out;
}
