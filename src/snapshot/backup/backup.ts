/**
 * One backup run: walks the roots, stores new content (small files into normal packs, large
 * files into degenerate packs, trees into tree packs), then writes the index and, last, the
 * snapshot record. Interrupted runs keep finished packs indexed and write no snapshot.
 */
import { hostname as osHostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { RozenError } from '../../core/errors.js';
import type { BlobId, SnapshotId } from '../../core/ids.js';
import { CompressionPolicy, type CompressionMode } from '../../codec/policy.js';
import { createBlobPool, type BlobPool } from '../../repo/blob-pool.js';
import { BlobSaver } from '../../repo/blob-saver.js';
import type { Repository } from '../../repo/repository.js';
import { saveSnapshot } from '../../repo/snapshots.js';
import type { ScannedNode } from '../fs/scan.js';
import { walkRuns, type WalkOptions } from '../fs/walk.js';
import { WalkAhead } from '../fs/walk-ahead.js';
import type { Node } from '../node.js';
import type { Snapshot, SnapshotRecord } from '../../core/snapshot.js';
import { DryRunSaver } from './dry-run-saver.js';
import { FileSaver, type BlobSink, type Content } from './file-saver.js';
import { saveTree } from './save-tree.js';
import { saveStdin, stdinName, type StdinInput } from './stdin-file.js';
import type { TagSpec } from '../fs/tag-files.js';
import { ParentTrees, parentEntry, sameScan, sameTree, unchanged, type ParentDir } from './parent-trees.js';
import { fillXattrs, xattrsBefore } from './parent-xattrs.js';
import { newCounters, silentProgress, type BackupCounters, type BackupProgress } from './progress.js';
import { Semaphore } from '../../core/semaphore.js';
import { MiB } from '../../core/sizes.js';

export interface BackupOptions {
  readonly paths: readonly string[];
  readonly tags?: readonly string[];
  readonly hostname?: string;
  readonly exclude?: (path: Buffer, isDir: boolean) => boolean;
  readonly oneFileSystem?: boolean;
  /** Skip files larger than this many bytes. */
  readonly excludeLargerThan?: number;
  /** Of directories holding one of these tag files, keep only the tag files. */
  readonly tagFiles?: readonly TagSpec[];
  /** Read and count everything, write nothing: no pack, index file or snapshot (the result has no snapshotId). */
  readonly dryRun?: boolean;
  /** Paths asked for that could not be found or read: reported and counted as errors, then left out. */
  readonly unreadable?: readonly { readonly path: string; readonly reason: string }[];
  /** Back up this stream as the one file `/name` instead of walking `paths` (which must be that path). */
  readonly stdin?: StdinInput;
  readonly compression?: CompressionMode;
  readonly parent?: Snapshot;
  readonly progress?: BackupProgress;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  /** The walk of `paths`, already started with walkOptions(these options) (see startWalk). */
  readonly walk?: WalkAhead;
}

/** How the backup walks its paths. */
type WalkChoices = Pick<BackupOptions, 'exclude' | 'oneFileSystem' | 'excludeLargerThan' | 'tagFiles'>;

function walkOptions(opts: WalkChoices): Omit<WalkOptions, 'onError'> {
  return {
    ...(opts.exclude && { exclude: opts.exclude }),
    ...(opts.oneFileSystem && { oneFileSystem: true }),
    ...(opts.excludeLargerThan !== undefined && { excludeLargerThan: opts.excludeLargerThan }),
    ...(opts.tagFiles && opts.tagFiles.length > 0 && { tagFiles: opts.tagFiles }),
  };
}

/**
 * Starts walking `paths` before the repository is open: the scans run while the key is derived.
 * Pass the result as `walk` with the same options; stop() it if the backup does not run.
 */
export function startWalk(opts: Pick<BackupOptions, 'paths'> & WalkChoices): WalkAhead {
  return new WalkAhead(
    opts.paths.map((p) => resolve(p)),
    walkOptions(opts),
  );
}

export interface BackupResult {
  /** The snapshot written; undefined for a dry run. */
  readonly snapshotId: SnapshotId | undefined;
  readonly counters: BackupCounters;
  readonly seconds: number;
  readonly codec: ReturnType<CompressionPolicy['figures']>;
}

interface DirFrame {
  readonly path: Buffer;
  readonly node: ScannedNode;
  /** The directory's entry in the parent snapshot, if any. */
  readonly old: Promise<Node | undefined>;
  /** The entries' nodes in walk order: known ones, or promises of them. */
  readonly entries: (Node | undefined | Promise<Node | undefined>)[];
  readonly parent: Promise<ParentDir>;
  /** `parent` once it has settled (NOT_YET before), for the entries that need not wait. */
  parentDir: ParentDir | typeof NOT_YET;
}

/** A value not known yet (the entry or directory must be awaited). */
const NOT_YET = Symbol('not yet');

const SMALL_TASKS = 128;
/** Bytes of small files read and not yet stored: a larger bound only raises the peak memory, for no speed. */
const SMALL_BYTES = 12 * MiB;

export async function runBackup(repo: Repository, opts: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  // Every file would fail on an unreadable index file: fail once, naming it.
  repo.index.throwIfUnreadable();
  // No later than the walk's first scan: a later backup trusts the xattrs of entries older than this (parent-xattrs.ts).
  const time = opts.now?.() ?? opts.walk?.startedAt ?? new Date();
  const paths = opts.paths.map((p) => resolve(p));
  const ctx = newCtx(repo, opts);
  for (const u of opts.unreadable ?? []) {
    ctx.counters.errors++;
    ctx.progress.error(u.path, u.reason);
  }
  // The walk may be over while queued large files are still being stored: an interrupt stops them too.
  const onAbort = (): void => {
    ctx.stopped = true;
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const tree = opts.stdin ? await stdinTree(repo, opts.stdin, opts, ctx, time) : await walkAndStore(repo, paths, opts, ctx);
    await ctx.saver.flush();
    throwIfAborted(opts.signal);
    ctx.counters.bytesAdded = ctx.saver.stats.storedBytes;
    const snapshotId = opts.dryRun ? undefined : await saveSnapshot(repo, snapshotRecord(opts, time, paths, tree, ctx.counters));
    return { snapshotId, counters: ctx.counters, seconds: (Date.now() - started) / 1000, codec: ctx.policy.figures() };
  } catch (err) {
    ctx.stopped = true;
    await ctx.largeChain;
    await ctx.saver.abort();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** The pool, savers and counters of one run. */
function newCtx(repo: Repository, opts: BackupOptions): Ctx {
  const counters = newCounters();
  const progress = opts.progress ?? silentProgress;
  const policy = new CompressionPolicy(opts.compression ?? 'auto');
  const pool = createBlobPool({ encKey: repo.master.encKey, idKey: repo.master.idKey });
  const saver = opts.dryRun ? new DryRunSaver(repo.index) : new BlobSaver(repo.backend, repo.sealer, repo.index, repo.config);
  const files = new FileSaver(
    pool,
    saver,
    policy,
    {
      params: { min: repo.config.chunkMin, avg: repo.config.chunkAvg, max: repo.config.chunkMax },
      gear: repo.gear,
    },
    counters,
  );
  return { largeChain: Promise.resolve(), stopped: false, pool, saver, files, counters, progress, policy };
}

function snapshotRecord(opts: BackupOptions, time: Date, paths: string[], tree: BlobId, counters: BackupCounters): SnapshotRecord {
  return {
    time: time.toISOString(),
    hostname: opts.hostname ?? osHostname(),
    username: userInfo().username,
    paths,
    tags: [...(opts.tags ?? [])],
    tree,
    ...(opts.parent && { parent: opts.parent.id }),
    summary: summaryOf(counters),
  };
}

/** The counters a snapshot records, under the record's names. */
function summaryOf(counters: BackupCounters): Record<string, number> {
  return {
    files_new: counters.filesNew,
    files_changed: counters.filesChanged,
    files_unmodified: counters.filesUnmodified,
    dirs: counters.dirs,
    errors: counters.errors,
    bytes_read: counters.bytesRead,
    bytes_total: counters.bytesTotal,
    bytes_added: counters.bytesAdded,
    blobs_new: counters.blobsNew,
    xattrs: counters.xattrs,
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RozenError('Interrupted', 'interrupted');
}

interface Ctx {
  /** The large file being stored; the next one waits for it. */
  largeChain: Promise<void>;
  /** Set when the run is abandoned: queued files are skipped, a large file stops at its next read. */
  stopped: boolean;
  readonly pool: BlobPool;
  readonly saver: BlobSink;
  readonly files: FileSaver;
  readonly counters: BackupCounters;
  readonly progress: BackupProgress;
  readonly policy: CompressionPolicy;
}

/** The root tree of a --stdin backup: the one file, compared by name with the parent's root. */
async function stdinTree(repo: Repository, input: StdinInput, opts: BackupOptions, ctx: Ctx, time: Date): Promise<BlobId> {
  const old = parentEntry(await new ParentTrees(repo).dir(opts.parent?.tree), stdinName(input.name));
  const stopped = (): boolean => ctx.stopped;
  const node = await saveStdin(
    input,
    { files: ctx.files, counters: ctx.counters, old, stopped, ...(opts.signal && { signal: opts.signal }) },
    time,
  );
  throwIfAborted(opts.signal);
  return saveTree(ctx.pool, ctx.saver, [node]);
}

async function walkAndStore(repo: Repository, paths: string[], opts: BackupOptions, ctx: Ctx): Promise<BlobId> {
  const limit = new Semaphore(SMALL_BYTES);
  const tasks = new Semaphore(SMALL_TASKS);
  const stack: DirFrame[] = [];
  const parents = new ParentTrees(repo);
  let root: Promise<Node | undefined> | undefined;
  const onError = (path: Buffer, err: Error): void => {
    ctx.counters.errors++;
    ctx.progress.error(path.toString(), describe(err));
  };
  const before = xattrsBefore(opts.parent);
  if (before !== undefined) opts.walk?.skipXattrsBefore(before);
  const batches =
    opts.walk?.batches() ?? walkRuns(paths, { ...walkOptions(opts), ...(before !== undefined && { xattrsBefore: () => before }) });
  for await (const batch of batches) {
    for (const ev of batch) {
      throwIfAborted(opts.signal);
      if (ev.kind === 'error') {
        onError(ev.path, ev.error);
        continue;
      }
      const top = stack.at(-1);
      if (ev.kind === 'enter') {
        const old = top ? top.parent.then((d) => parentEntry(d, ev.node.name)) : Promise.resolve(undefined);
        const parent = top ? old.then((o) => parents.dir(o?.subtree)) : parents.dir(opts.parent?.tree);
        const frame: DirFrame = { path: ev.path, node: ev.node, old, entries: [], parent, parentDir: NOT_YET };
        void parent.then(
          (d) => (frame.parentDir = d),
          () => undefined,
        );
        stack.push(frame);
        continue;
      }
      if (ev.kind === 'leave') {
        const frame = stack.pop()!;
        ctx.counters.dirs++;
        const done = storeDir(frame, ctx);
        if (stack.length === 0) root = done;
        else stack.at(-1)!.entries.push(done);
        continue;
      }
      const known = knownEntry(ev.path, ev.node, top!, ctx);
      top!.entries.push(known !== NOT_YET ? known : (await entryNode(repo, ev.path, ev.node, top!, ctx, { limit, tasks })).done);
      ctx.progress.update(ctx.counters, ev.path);
    }
  }
  const node = await root;
  throwIfAborted(opts.signal);
  countXattrs(node, ctx);
  if (!node?.subtree) throw new RozenError('InvalidArgument', 'nothing was backed up');
  return node.subtree;
}

/** The node of an entry that needs no reading, once the parent directory is loaded (else NOT_YET: it must wait). */
function knownEntry(path: Buffer, node: ScannedNode, dir: DirFrame, ctx: Ctx): Node | undefined | typeof NOT_YET {
  return dir.parentDir === NOT_YET ? NOT_YET : withoutReading(path, node, parentEntry(dir.parentDir, node.name), ctx);
}

/**
 * The node of an entry that is not a file, or of a file unchanged since `old`, its parent snapshot's entry; else
 * NOT_YET. Undefined when the xattrs the walk left unread cannot be read (reported; the entry is left out).
 */
function withoutReading(path: Buffer, node: ScannedNode, old: Node | undefined, ctx: Ctx): Node | undefined | typeof NOT_YET {
  if (!xattrsFilled(path, node, old, ctx)) return undefined;
  if (node.type !== 'file') {
    ctx.counters.others++;
    // The parent's node when nothing changed: the directory's sameTree then compares identical objects.
    return old !== undefined && old.content === undefined && sameScan(old, node) ? old : node;
  }
  if (!unchanged(old, node)) return NOT_YET;
  ctx.counters.bytesTotal += node.size;
  ctx.counters.filesUnmodified++;
  return sameScan(old, node) ? old : withContent(node, old.content!, old.sizes ?? []);
}

/** Returns a promise for the finished node; waits only for capacity (small files) or the whole file (large ones). */
async function entryNode(
  repo: Repository,
  path: Buffer,
  node: ScannedNode,
  dir: DirFrame,
  ctx: Ctx,
  sem: { limit: Semaphore; tasks: Semaphore },
): Promise<{ done: Promise<Node | undefined> }> {
  const old = parentEntry(await dir.parent, node.name);
  const known = withoutReading(path, node, old, ctx);
  if (known !== NOT_YET) return { done: Promise.resolve(known) };
  ctx.counters.bytesTotal += node.size;
  const save = async (): Promise<Node | undefined> => {
    if (ctx.stopped) return undefined;
    try {
      const large = (): Promise<Content> =>
        ctx.files.saveLarge(path, old === undefined, () => ctx.stopped, node.allocated < node.size ? node : undefined);
      const c =
        node.size >= repo.config.largeFile
          ? await large()
          : ((await ctx.files.saveSmall(path, node.size, 2 * repo.config.largeFile)) ?? (await large()));
      if (old) ctx.counters.filesChanged++;
      else ctx.counters.filesNew++;
      return withContent({ ...node, size: c.size }, c.content, c.sizes);
    } catch (err) {
      ctx.counters.errors++;
      ctx.progress.error(path.toString(), describe(err as Error));
      return undefined;
    }
  };
  if (node.size >= repo.config.largeFile) {
    // One large file at a time (one open degenerate pack), while small files keep flowing into the normal pack.
    const done = ctx.largeChain.then(save);
    ctx.largeChain = done.then(() => undefined);
    return { done };
  }
  const [w, t] = await Promise.all([sem.limit.acquire(node.size + 1), sem.tasks.acquire(1)]);
  const p = save();
  void p.finally(() => {
    sem.limit.release(w);
    sem.tasks.release(t);
  });
  return { done: p };
}

/** The directory's node once its entries are stored; undefined when its unread xattrs cannot be read (reported). */
async function storeDir(frame: DirFrame, ctx: Ctx): Promise<Node | undefined> {
  const entries = (await settled(frame.entries)).filter((n): n is Node => n !== undefined);
  for (const n of entries) countXattrs(n, ctx);
  const old = await frame.old;
  if (!xattrsFilled(frame.path, frame.node, old, ctx)) return undefined;
  const same = sameTree(await frame.parent, entries);
  if (same !== undefined) {
    return old !== undefined && old.subtree === same && sameScan(old, frame.node) ? old : { ...frame.node, subtree: same };
  }
  return { ...frame.node, subtree: await saveTree(ctx.pool, ctx.saver, entries) };
}

function withContent(node: ScannedNode, content: readonly BlobId[], sizes: readonly number[]): Node {
  return { ...node, content, sizes };
}

function describe(err: Error): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'ENOENT') return 'vanished during the backup';
  return e.message;
}

/**
 * The entries with the pending ones awaited. Only those go through Promise.all: most directories have none
 * or a few, and Promise.all over all of a directory's entries wraps each in a promise of its own.
 */
async function settled(entries: DirFrame['entries']): Promise<(Node | undefined)[]> {
  const at: number[] = [];
  const waits: Promise<Node | undefined>[] = [];
  entries.forEach((e, i) => {
    if (e instanceof Promise) {
      at.push(i);
      waits.push(e);
    }
  });
  if (waits.length === 0) return entries as (Node | undefined)[];
  const done = await Promise.all(waits);
  const out = entries.slice() as (Node | undefined)[];
  at.forEach((i, k) => (out[i] = done[k]));
  return out;
}

/** Fills in xattrs the walk left unread (parent-xattrs.ts); false when reading them failed (counted and reported). */
function xattrsFilled(path: Buffer, node: ScannedNode, old: Node | undefined, ctx: Ctx): boolean {
  try {
    fillXattrs(node, old, path);
    return true;
  } catch (err) {
    ctx.counters.errors++;
    ctx.progress.error(path.toString(), describe(err as Error));
    return false;
  }
}

function countXattrs(node: Node | undefined, ctx: Ctx): void {
  if (node?.xattrs !== undefined && node.xattrs.length > 0) ctx.counters.xattrs++;
}
