/**
 * copy: snapshots from one repository into another that has other keys (docs/DESIGN.md, "Copy"). Each starts
 * from the destination's copy of an earlier snapshot (copy-bases.ts); what changed since is read from the source,
 * re-hashed and sealed with the destination's keys and written through its usual write path: packs, then an index
 * file naming them, then the snapshot record.
 */
import { invalidArgument } from '../core/errors.js';
import type { BlobId, SnapshotId } from '../core/ids.js';
import type { ResealInput } from '../repo/native-reseal.js';
import type { Snapshot, SnapshotRecord } from '../core/snapshot.js';
import { createBlobPool, type BlobPool } from '../repo/blob-pool.js';
import { coalesce } from '../core/coalesce.js';
import { BlobSaver } from '../repo/blob-saver.js';
import type { Repository } from '../repo/repository.js';
import { listSnapshots, saveSnapshot } from '../repo/snapshots.js';
import { MiB } from '../core/sizes.js';
import type { ContentDeps, CopyCounters } from './copy-content.js';
import { CopyBases } from './copy-bases.js';
import { isCopyOf, originalOf } from './copy-match.js';
import { TreeCopier } from './copy-trees.js';

export type { CopyCounters } from './copy-content.js';
export { isCopyOf } from './copy-match.js';

/** Bytes of whole source packs kept while reading: a snapshot's blobs come in about the order they were written. */
const SOURCE_PACK_CACHE = 64 * MiB;
/**
 * Windows of the source's large packs: each blob is read once, in order, so small windows serve as well as the
 * mount's larger ones and keep less memory (fresh large buffers also cost page faults).
 */
const SOURCE_WINDOWS = { cacheBytes: 16 * MiB, maxWindow: 8 * MiB };
/** Whole packs of the source's trees, kept apart: the data packs streaming through would evict them. */
const SOURCE_TREE_CACHE = 32 * MiB;
/** The same for the trees of earlier copies in the destination. */
const DESTINATION_PACK_CACHE = 16 * MiB;
/** Blobs per hashing and per sealing job. */
const HASH_BATCH = 64;
const SEAL_BATCH = 8;

export interface CopyOptions {
  readonly signal?: AbortSignal;
  /** Called after each snapshot is copied or found already copied. */
  readonly onSnapshot?: (event: CopyEvent) => void;
  /** Cut large files again with the destination's chunker (ContentDeps.rechunk). */
  readonly rechunk?: boolean;
  /** Every snapshot of the source, where earlier copies are looked for (default: `snapshots`). */
  readonly sources?: readonly Snapshot[];
}

export type CopyEvent =
  | { readonly kind: 'copied'; readonly source: Snapshot; readonly copy: SnapshotId }
  | { readonly kind: 'skipped'; readonly source: Snapshot; readonly copy: SnapshotId };

export interface CopyResult {
  readonly copied: number;
  readonly skipped: number;
  readonly counters: Readonly<CopyCounters>;
}

/** Hashes and seals asked for in the same turn go to the addon together (a copy asks for them file by file). */
function batchedPool(pool: BlobPool): BlobPool {
  return { ...pool, hash: coalesce((d) => pool.hashMany(d), HASH_BATCH), seal: coalesce((r) => pool.sealMany(r), SEAL_BATCH) };
}

/**
 * Copies `snapshots` (of `src`) into `dst`, oldest first, skipping those `dst` already has a copy of. Each copy is
 * complete before its record is written: its packs are stored and indexed first, so an interrupted copy leaves
 * at worst blobs no snapshot references (prune removes them, a later copy reuses them).
 */
export async function copySnapshots(
  src: Repository,
  dst: Repository,
  snapshots: readonly Snapshot[],
  opts: CopyOptions = {},
  counters: CopyCounters = { files: 0, bytesRead: 0, blobsWritten: 0, bytesWritten: 0 },
): Promise<CopyResult> {
  if (src.config.id === dst.config.id) throw invalidArgument('the source and the destination are the same repository');
  const existing = await listSnapshots(dst);
  const saver = new BlobSaver(dst.backend, dst.sealer, dst.index, dst.config);
  const pool = batchedPool(createBlobPool({ encKey: dst.master.encKey, idKey: dst.master.idKey }));
  const readSealed = src.sealedReader(SOURCE_PACK_CACHE, SOURCE_WINDOWS);
  const read = src.opening(readSealed);
  const resealer = (): ContentDeps['reseal']['file'] =>
    coalesce((blobs: ResealInput[]) => pool.resealMany(src.addonKeys, blobs), SEAL_BATCH);
  const reseal = { file: resealer(), chunk: resealer() };
  const readTree = src.treeReader(SOURCE_TREE_CACHE);
  const dstTrees = dst.treeReader(DESTINATION_PACK_CACHE);
  const readDst = async (id: BlobId): Promise<Uint8Array> => dstTrees(id, await dst.locate(id));
  const deps = {
    src,
    dst,
    saver,
    pool,
    read,
    readSealed,
    reseal,
    readTree,
    readDst,
    counters,
    rechunk: opts.rechunk === true,
    signal: opts.signal,
  };
  const trees = new TreeCopier(deps);
  const bases = new CopyBases(opts.sources ?? snapshots, existing);
  const done = { copied: 0, skipped: 0 };
  // The last copy's record, written once its packs are indexed while the next snapshot is copied.
  let saving: Promise<void> = Promise.resolve();
  let unsaved: Snapshot | undefined;
  const ordered = [...snapshots].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  try {
    for (const snap of ordered) {
      // A copy being recorded may be this snapshot's (a snapshot named twice): it is skipped once recorded.
      if (unsaved && isCopyOf(unsaved, snap)) await saving;
      const found = existing.find((e) => isCopyOf(e, snap));
      if (found) {
        await saving;
        done.skipped++;
        opts.onSnapshot?.({ kind: 'skipped', source: snap, copy: found.id });
        continue;
      }
      const tree = await trees.tree(snap.tree, bases.nearest(snap));
      bases.add(snap, tree);
      await saving;
      const durable = saver.checkpoint();
      const made = recordOf(snap, tree);
      unsaved = { ...made, id: snap.id }; // isCopyOf does not read the copy's id
      saving = durable.then(async () => {
        const copy = await saveSnapshot(dst, made);
        existing.push({ ...made, id: copy });
        unsaved = undefined;
        done.copied++;
        opts.onSnapshot?.({ kind: 'copied', source: snap, copy });
      });
      saving.catch(() => undefined);
    }
    await saving;
    await saver.flush();
  } catch (err) {
    await saving.catch(() => undefined);
    await saver.abort();
    throw err;
  }
  return { ...done, counters };
}

/** The record of `snap`'s copy, whose root is `tree`. */
function recordOf(snap: Snapshot, tree: BlobId): SnapshotRecord {
  const { id: _id, parent: _parent, ...rest } = snap;
  return { ...rest, tree, original: originalOf(snap), copiedFrom: snap.id };
}
