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
  const { keep, toRepack, drop, lost } = sortPacks(view, live, stored, policy.maxUnused);
  const repack = repackJobs(view, live, keep, toRepack, drop);
  return { keep, repack, drop, lost, ...unindexedObjects(view, stored, tmp, policy) };
}

interface SortedPacks {
  readonly keep: IndexedPack[];
  readonly toRepack: IndexedPack[];
  readonly drop: IndexedPack[];
  readonly lost: PackId[];
}

/** Each indexed pack by what is live in it: kept, to repack (more unused than `maxUnused`), dropped (nothing live) or lost (not stored). */
function sortPacks(view: IndexView, live: BitSet, stored: ReadonlyMap<string, ObjectInfo>, maxUnused: number): SortedPacks {
  const sorted: SortedPacks = { keep: [], toRepack: [], drop: [], lost: [] };
  for (const pack of view.packs) {
    let dead = 0;
    let anyLive = false;
    for (let r = pack.first; r < pack.first + pack.count; r++) {
      if (live.has(r)) anyLive = true;
      else dead += view.blobs.lengthOf(r);
    }
    if (!stored.has(pack.id)) sorted.lost.push(pack.id);
    else if (!anyLive) sorted.drop.push(pack);
    else if (dead > maxUnused * pack.size) sorted.toRepack.push(pack);
    else sorted.keep.push(pack);
  }
  return sorted;
}

/**
 * The copies out of the packs to repack: each live blob once, none a kept pack holds. A pack left with
 * nothing to copy goes to `drop`.
 */
function repackJobs(
  view: IndexView,
  live: BitSet,
  keep: readonly IndexedPack[],
  toRepack: readonly IndexedPack[],
  drop: IndexedPack[],
): RepackJob[] {
  const cover = coverage(view);
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
  return repack;
}

/** Whether record `r` is the first of its blob id asked about: the others are then covered by it. */
function coverage(view: IndexView): (r: number) => boolean {
  // Only a blob indexed more than once can be covered by another record than the one at hand.
  const covered = new BitSet(view.blobs.size);
  return (r) => {
    if (!view.blobs.isDuplicate(r)) return true;
    if (covered.has(r)) return false;
    for (const other of view.blobs.recordsOf(view.blobs.idOf(r))) covered.add(other);
    return true;
  };
}

/** The stored packs the index does not name, old (orphans) or within the grace period (young), and the old tmp/ objects. */
function unindexedObjects(
  view: IndexView,
  stored: ReadonlyMap<string, ObjectInfo>,
  tmp: readonly ObjectInfo[],
  policy: PrunePolicy,
): Pick<PrunePlan, 'orphans' | 'young' | 'tmp'> {
  const old = (o: ObjectInfo): boolean => policy.now - o.mtimeMs >= policy.graceMs;
  const unindexed = [...stored.values()].filter((o) => !view.pack(parsePackName(o.name) as PackId));
  return { orphans: unindexed.filter(old), young: unindexed.filter((o) => !old(o)), tmp: tmp.filter(old) };
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
