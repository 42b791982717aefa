/** Decides what prune does with each pack, from the index, the live blobs and the stored objects. */
import type { ObjectInfo } from '../backend/backend.js';
import { parsePackName } from '../cas/pack-path.js';
import type { PackId } from '../core/ids.js';
import type { PackDescription } from '../core/types.js';
import { BitSet } from './bit-set.js';
import type { IndexedPack, IndexView } from './index-view.js';
import type { Reachable } from './tree-walker.js';

export interface PrunePolicy {
  /** Largest unused share of a pack (0–1) left alone; more is repacked. */
  readonly maxUnused: number;
  /** Unindexed packs and tmp/ objects younger than this (ms) are kept. */
  readonly graceMs: number;
  readonly now: number;
}

export interface RepackJob {
  readonly pack: IndexedPack;
  /** How many blobs are copied, and their stored bytes. */
  readonly count: number;
  readonly bytes: number;
  /** The live blobs to copy, in pack order (each blob once across all jobs and kept packs), built on each call. */
  blobs(): PackDescription['blobs'][number][];
}

export interface PrunePlan {
  readonly keep: readonly IndexedPack[];
  readonly repack: readonly RepackJob[];
  /** Indexed packs with nothing live. */
  readonly drop: readonly IndexedPack[];
  /** Unindexed packs past the grace period. */
  readonly orphans: readonly ObjectInfo[];
  /** Unindexed packs within the grace period, left in place. */
  readonly young: readonly ObjectInfo[];
  readonly tmp: readonly ObjectInfo[];
  /** Indexed packs that are not stored (dropped from the index; none of them holds a live blob). */
  readonly lost: readonly PackId[];
}

/**
 * Every live blob must be indexed in a stored pack (the caller checks that first). `live` holds every
 * record of each live blob id (BlobMarks), so a blob stored twice is live in both packs.
 */
export function planPrune(
  view: IndexView,
  live: BitSet,
  stored: ReadonlyMap<string, ObjectInfo>,
  tmp: readonly ObjectInfo[],
  policy: PrunePolicy,
): PrunePlan {
  const keep: IndexedPack[] = [];
  const toRepack: IndexedPack[] = [];
  const drop: IndexedPack[] = [];
  const lost: PackId[] = [];
  for (const pack of view.packs) {
    let dead = 0;
    let anyLive = false;
    for (let r = pack.first; r < pack.first + pack.count; r++) {
      if (live.has(r)) anyLive = true;
      else dead += view.blobs.lengthOf(r);
    }
    if (!stored.has(pack.id)) lost.push(pack.id);
    else if (!anyLive) drop.push(pack);
    else if (dead > policy.maxUnused * pack.size) toRepack.push(pack);
    else keep.push(pack);
  }
  // Only a blob indexed more than once can be covered by another record than the one at hand.
  const covered = new BitSet(view.blobs.size);
  const cover = (r: number): boolean => {
    if (!view.blobs.isDuplicate(r)) return true;
    if (covered.has(r)) return false;
    for (const other of view.blobs.recordsOf(view.blobs.idOf(r))) covered.add(other);
    return true;
  };
  for (const p of keep) for (let r = p.first; r < p.first + p.count; r++) if (live.has(r)) cover(r);
  const copy = new BitSet(view.blobs.size);
  const repack: RepackJob[] = [];
  for (const pack of toRepack) {
    let count = 0;
    let bytes = 0;
    for (let r = pack.first; r < pack.first + pack.count; r++) {
      if (!live.has(r) || !cover(r)) continue;
      copy.add(r);
      count++;
      bytes += view.blobs.lengthOf(r);
    }
    if (count > 0) repack.push({ pack, count, bytes, blobs: () => copied(view, pack, copy) });
    else drop.push(pack);
  }
  const old = (o: ObjectInfo): boolean => policy.now - o.mtimeMs >= policy.graceMs;
  const unindexed = [...stored.values()].filter((o) => !view.pack(parsePackName(o.name) as PackId));
  return {
    keep,
    repack,
    drop,
    lost,
    orphans: unindexed.filter(old),
    young: unindexed.filter((o) => !old(o)),
    tmp: tmp.filter(old),
  };
}

/**
 * The distinct blob ids reached (`live`: every record of each), and how many of them no stored pack holds, those
 * the walk found missing counted once more.
 */
export function countLive(
  view: IndexView,
  reach: Reachable,
  live: BitSet,
  stored: ReadonlyMap<string, ObjectInfo>,
): { live: number; lost: number } {
  const unindexed = reach.data.unindexed.size + [...reach.trees.unindexed].filter((id) => !reach.data.unindexed.has(id)).length;
  let count = unindexed;
  let lost = reach.missing.size + unindexed;
  for (const pack of view.packs) {
    for (let r = pack.first; r < pack.first + pack.count; r++) {
      if (!live.has(r)) continue;
      if (!view.blobs.isDuplicate(r)) {
        count++;
        if (!stored.has(pack.id)) lost++;
        continue;
      }
      const id = view.blobs.idOf(r);
      if (view.blobs.find(id) !== r) continue; // counted at its first record
      count++;
      if (!view.blobs.recordsOf(id).some((o) => stored.has(view.packOf(o).id))) lost++;
    }
  }
  return { live: count, lost };
}

function copied(view: IndexView, pack: IndexedPack, copy: BitSet): PackDescription['blobs'][number][] {
  const out: PackDescription['blobs'][number][] = [];
  for (let r = pack.first; r < pack.first + pack.count; r++) if (copy.has(r)) out.push(view.blobs.blob(r));
  return out;
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
