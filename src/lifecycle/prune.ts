/**
 * Prune: keep what remaining snapshots reach, delete the rest. Order (crash-safe at every step):
 * new packs → new index files naming every live pack → old index files deleted → old packs deleted.
 * Only names the format defines are deleted; anything else found under packs/ or tmp/ is reported and left.
 */
import type { ObjectInfo } from '../backend/backend.js';
import { deleteFormatObjects, isFormatName } from '../backend/format-names.js';
import { PACKS_PREFIX, packName } from '../cas/pack-path.js';
import { RozenError } from '../core/errors.js';
import { nativeKeys } from '../repo/native-open.js';
import type { Repository } from '../repo/repository.js';
import { listSnapshots } from '../repo/snapshots.js';
import type { EncodedPack, IndexPack } from '../cas/index-body.js';
import { indexFileName } from '../cas/index-file.js';
import { BitSet } from './bit-set.js';
import { loadIndexView, type IndexedPack, type IndexView } from './index-view.js';
import { writeIndexSet } from './index-writer.js';
import { countLive, packObjects, planPrune, type PrunePlan } from './prune-plan.js';
import { repack } from './repack.js';
import { walkSnapshots } from './tree-walker.js';

export const DEFAULT_GRACE_MS = 3600_000;
export const DEFAULT_MAX_UNUSED = 0.1;

export interface PruneOptions {
  /** Unused share of a pack (0–1) above which it is repacked (default 0.1). */
  readonly maxUnused?: number;
  readonly graceMs?: number;
  readonly dryRun?: boolean;
  readonly now?: () => number;
}

export interface PruneReport {
  readonly dryRun: boolean;
  readonly snapshots: number;
  readonly liveBlobs: number;
  readonly packsBefore: number;
  readonly bytesBefore: number;
  readonly packsDeleted: number;
  readonly packsRepacked: number;
  readonly packsWritten: number;
  readonly blobsCopied: number;
  readonly bytesWritten: number;
  readonly orphansDeleted: number;
  readonly youngKept: number;
  readonly tmpDeleted: number;
  readonly lostPacks: number;
  readonly indexFilesWritten: number;
  readonly indexFilesDeleted: number;
  /** Objects under packs/ and tmp/ whose names the format does not define: reported, never deleted. */
  readonly unexpected: readonly string[];
  /** Bytes deleted minus bytes written. */
  readonly reclaimed: number;
}

async function listAll(repo: Repository, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of repo.backend.list(prefix)) out.push(o);
  return out;
}

/** Refuses to go on when a snapshot references a blob that no stored pack holds. */
function requireLive(lost: number, first?: string): void {
  if (lost > 0) {
    const example = first === undefined ? '' : ` (${first})`;
    throw new RozenError(
      'CorruptData',
      `${lost} blob(s) referenced by snapshots are missing${example}; nothing was deleted (run \`rozen check\`, then \`rozen repair index\` or \`rozen repair snapshots\`)`,
    );
  }
}

export async function prune(repo: Repository, opts: PruneOptions = {}): Promise<PruneReport> {
  const { view, plan, base } = await planFor(repo, opts);
  if (opts.dryRun) return report(plan, [], 0, 0, base, true);
  const done = await carryOut(repo, view, plan);
  return report(plan, done.written, done.indexWritten, done.indexDeleted, base, false);
}

/** The report's counts of the repository as prune found it. */
type Before = Pick<PruneReport, 'snapshots' | 'liveBlobs' | 'packsBefore' | 'bytesBefore' | 'unexpected'>;

/** Finds what the snapshots reach and plans what to keep, repack and delete; refuses if a live blob is missing. */
async function planFor(repo: Repository, opts: PruneOptions): Promise<{ view: IndexView; plan: PrunePlan; base: Before }> {
  // Listing the packs (I/O) overlaps reading the index and the snapshots. Under the exclusive lock no backup
  // adds packs meanwhile; were one to, a pack listed but not indexed is kept through the grace period.
  const [view, snapshots, packs, tmpListed] = await Promise.all([
    loadIndexView(repo.backend, repo.sealer),
    listSnapshots(repo),
    listAll(repo, PACKS_PREFIX),
    listAll(repo, 'tmp/'),
  ]);
  const tmp = tmpListed.filter((o) => isFormatName(o.name));
  let firstProblem: string | undefined;
  const reach = await walkSnapshots(repo, view, snapshots, { problem: (_id, line) => (firstProblem ??= line) }, { refsOnly: true });
  const live = BitSet.union(reach.trees.records, reach.data.records);
  const stored = packObjects(packs);
  const counted = countLive(view, reach, live, stored);
  requireLive(counted.lost, firstProblem);
  const plan = planPrune(view, live, stored, tmp, {
    maxUnused: opts.maxUnused ?? DEFAULT_MAX_UNUSED,
    graceMs: opts.graceMs ?? DEFAULT_GRACE_MS,
    now: (opts.now ?? Date.now)(),
  });
  const base = {
    snapshots: snapshots.length,
    liveBlobs: counted.live,
    packsBefore: stored.size,
    bytesBefore: sumSizes([...stored.values()]),
    unexpected: [...packs, ...tmpListed]
      .map((o) => o.name)
      .filter((n) => !isFormatName(n))
      .sort(),
  };
  return { view, plan, base };
}

/** Writes the new packs and index files, then deletes the old index files, then the packs and tmp/ objects no longer needed. */
async function carryOut(
  repo: Repository,
  view: IndexView,
  plan: PrunePlan,
): Promise<{ written: EncodedPack[]; indexWritten: number; indexDeleted: number }> {
  // Nothing is looked up by id from here on, and nothing at all once the new index is written: the
  // index cache is rebuilt then, and would otherwise add its memory to the view's.
  view.blobs.releaseLookup();
  const keys = nativeKeys(repo.master.encKey, repo.master.idKey);
  const written = await repack({ backend: repo.backend, sealer: repo.sealer, keys, packSize: repo.config.packSize }, plan.repack).finally(
    () => keys.fill(0),
  );
  const rewrite = plan.drop.length + plan.repack.length + plan.lost.length > 0;
  const newIndex = rewrite ? await writeIndexSet(repo.backend, repo.sealer, encoded(plan.keep, written)) : [];
  const oldIndex = rewrite ? view.files.filter((id) => !newIndex.includes(id)) : [];
  view.blobs.release();
  // Old index files are gone (durably) before any pack they name is deleted; from then on the local
  // index cache is rebuilt from the new index files while the packs are deleted.
  await deleteFormatObjects(repo.backend, oldIndex.map(indexFileName));
  const doomed = [...plan.drop, ...plan.repack.map((j) => j.pack)].map((p) => packName(p.id));
  const settled = await Promise.allSettled([
    deleteFormatObjects(repo.backend, [...doomed, ...[...plan.orphans, ...plan.tmp].map((o) => o.name)]),
    repo.index.refresh(),
  ]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  return { written, indexWritten: newIndex.length, indexDeleted: oldIndex.length };
}

const sumSizes = (xs: readonly { size: number }[]): number => xs.reduce((n, x) => n + x.size, 0);

/** The packs of the new index: the kept ones with their records as the old index files held them. */
function* encoded(keep: readonly IndexedPack[], written: readonly EncodedPack[]): Iterable<IndexPack> {
  for (const p of keep) yield p.encoded();
  yield* written;
}

function report(
  plan: PrunePlan,
  written: readonly EncodedPack[],
  indexWritten: number,
  indexDeleted: number,
  base: Before,
  dryRun: boolean,
): PruneReport {
  const repacked = plan.repack.map((j) => j.pack);
  const deleted = sumSizes([...plan.drop, ...repacked, ...plan.orphans, ...plan.tmp]);
  const bytesWritten = dryRun ? plan.repack.reduce((n, j) => n + j.bytes, 0) : sumSizes(written);
  return {
    ...base,
    dryRun,
    packsDeleted: plan.drop.length + plan.orphans.length,
    packsRepacked: repacked.length,
    packsWritten: written.length,
    blobsCopied: plan.repack.reduce((n, j) => n + j.count, 0),
    bytesWritten,
    orphansDeleted: plan.orphans.length,
    youngKept: plan.young.length,
    tmpDeleted: plan.tmp.length,
    lostPacks: plan.lost.length,
    indexFilesWritten: indexWritten,
    indexFilesDeleted: indexDeleted,
    reclaimed: deleted - bytesWritten,
  };
}
