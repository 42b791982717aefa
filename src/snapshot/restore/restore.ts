/**
 * Restore a snapshot into a directory: create the tree, fetch each pack once (in ranges) and
 * write every blob to the files that use it, then apply metadata (directories last, deepest
 * first). A file whose data cannot be read or verified is removed and reported; the rest is restored.
 */
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { lstat, mkdir, rm, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RozenError } from '../../core/errors.js';
import { forEachLimited } from '../../repo/for-each-limited.js';
import { createTaskPool, type TaskPool } from '../../repo/task-pool.js';
import type { Repository } from '../../repo/repository.js';
import { applyMetadata, createSpecial, linkTo } from '../fs/restore-meta.js';
import { Semaphore } from '../../core/semaphore.js';
import type { Snapshot } from '../../core/snapshot.js';
import { createFileSync } from './create-file.js';
import { RestoreTasks, type RestoreBatchRequest, type RestoreBlob, type RestoreBlobResult } from './restore-task.js';
import { fetchSpan, spansOf } from './pack-fetch.js';
import { planEntries, planPacks, type PackPlan, type PlannedEntry, type Selection } from './plan.js';

export type OverwriteMode = 'always' | 'if-changed' | 'never';

export interface RestoreProgress {
  update(done: { files: number; bytes: number; totalBytes: number }): void;
  error(path: string, message: string): void;
}

export interface RestoreOptions {
  readonly target: string;
  readonly selection?: Selection;
  readonly overwrite?: OverwriteMode;
  readonly progress?: RestoreProgress;
  readonly signal?: AbortSignal;
  readonly numericOwner?: boolean;
}

export interface RestoreResult {
  readonly files: number;
  readonly dirs: number;
  readonly others: number;
  readonly skipped: number;
  readonly bytes: number;
  readonly errors: number;
  readonly seconds: number;
}

const PACKS_IN_FLIGHT = 2;
const BATCHES_IN_FLIGHT = 4;
const BATCH_BLOBS = 64;
const BATCH_BYTES = 4 * 1024 * 1024;
const META_IN_FLIGHT = 32;
const BYTES_IN_FLIGHT = 48 * 1024 * 1024;

interface Job {
  readonly repo: Repository;
  readonly pool: TaskPool<RestoreBatchRequest, RestoreBlobResult[]>;
  readonly files: PlannedEntry[];
  readonly dest: (e: PlannedEntry) => Buffer;
  readonly failed: Set<number>;
  readonly report: (p: Buffer, m: string) => void;
  readonly warn: (path: string, message: string) => void;
  readonly numericOwner: boolean;
  /** Sealed bytes handed to workers and not yet written, bounded. */
  readonly inFlight: Semaphore;
}

/** A file made of exactly one blob is created, written and finished by the worker that opens the blob. */
const single = (f: PlannedEntry): boolean => (f.node.content?.length ?? 0) === 1;

export async function runRestore(repo: Repository, snap: Snapshot, opts: RestoreOptions): Promise<RestoreResult> {
  // The workers start (load their modules) while the snapshot's trees are read, not after.
  const keys = { encKey: repo.master.encKey, idKey: repo.master.idKey };
  const pool = createTaskPool<RestoreBatchRequest, RestoreBlobResult[]>(new URL('./restore-worker.js', import.meta.url), keys, () => {
    const tasks = new RestoreTasks(keys);
    return (req) => tasks.run(req);
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= pool.close());
  try {
    return await restoreWith(repo, snap, opts, pool, close);
  } finally {
    await close();
  }
}

/** `closePool` is called once the data is written: the workers' memory is not held through the metadata pass. */
async function restoreWith(
  repo: Repository, snap: Snapshot, opts: RestoreOptions, pool: Job['pool'], closePool: () => Promise<void>,
): Promise<RestoreResult> {
  const started = Date.now();
  const target = Buffer.from(resolve(opts.target));
  const progress = opts.progress ?? { update() {}, error() {} };
  const failed = new Set<number>();
  let errors = 0;
  const report = (path: Buffer, message: string): void => {
    errors++;
    progress.error(path.toString(), message);
  };
  const dest = (e: PlannedEntry): Buffer => Buffer.concat([target, e.path]);
  const entries = await planEntries(repo, snap.tree, opts.selection);
  await mkdir(target, { recursive: true });

  const files: PlannedEntry[] = [];
  const links: [primary: PlannedEntry, alias: PlannedEntry][] = [];
  const primaries = new Map<string, PlannedEntry>();
  const specials: PlannedEntry[] = [];
  let skipped = 0;
  let dirs = 0;
  for (const e of entries) {
    check(opts.signal);
    if (e.node.type === 'dir') {
      dirs++;
      await createSpecial(dest(e), e.node);
      continue;
    }
    if (e.node.type === 'file' && e.node.links > 1) {
      const key = `${e.node.device}:${e.node.inode}`;
      const primary = primaries.get(key);
      if (primary) {
        links.push([primary, e]);
        continue;
      }
      primaries.set(key, e);
    }
    if (opts.overwrite && opts.overwrite !== 'always' && (await keepExisting(dest(e), e, opts.overwrite))) {
      skipped++;
      continue;
    }
    if (e.node.type === 'file') files.push(e);
    else specials.push(e);
  }
  await forEachLimited(specials, META_IN_FLIGHT, async (e) => {
    await rm(dest(e), { force: true });
    await createSpecial(dest(e), e.node);
  });

  const numericOwner = opts.numericOwner ?? true;
  const job: Job = { repo, pool, files, dest, failed, report, warn: (path, message) => progress.error(path, message), numericOwner, inFlight: new Semaphore(BYTES_IN_FLIGHT) };
  const totalBytes = files.reduce((a, f) => a + f.node.size, 0);
  let bytes = 0;
  for (const f of files) if ((f.node.content?.length ?? 0) > 1) closeSync(createFileSync(dest(f)));
  const { packs, missing } = await planPacks(repo, files);
  for (const i of missing) {
    failed.add(i);
    report(dest(files[i]!), 'data missing from the repository index');
  }
  const queue = [...packs];
  const worker = async (): Promise<void> => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      check(opts.signal);
      const n = await restorePack(job, p);
      bytes += n;
      progress.update({ files: files.length, bytes, totalBytes });
    }
  };
  await Promise.all(Array.from({ length: PACKS_IN_FLIGHT }, worker));
  await closePool();

  const meta = { numericOwner, onWarning: (p: Buffer, m: string) => progress.error(p.toString(), m) };
  await forEachLimited([...files.entries()], META_IN_FLIGHT, async ([i, f]) => {
    const path = dest(f);
    if (failed.has(i)) {
      await unlink(path).catch(() => undefined);
      return;
    }
    if (single(f)) return;
    const fd = (f.node.content?.length ?? 0) === 0 ? createFileSync(path) : openSync(path, 'r+');
    try {
      ftruncateSync(fd, f.node.size);
    } finally {
      closeSync(fd);
    }
    await applyMetadata(path, f.node, meta);
  });
  const failedPaths = new Set([...failed].map((i) => files[i]!.path.toString()));
  for (const [primary, alias] of links) {
    if (failedPaths.has(primary.path.toString())) continue;
    const path = dest(alias);
    await rm(path, { force: true }).catch(() => undefined);
    await linkTo(dest(primary), path);
  }
  await forEachLimited(specials, META_IN_FLIGHT, (e) => applyMetadata(dest(e), e.node, meta));
  for (const e of [...entries].reverse()) if (e.node.type === 'dir') await applyMetadata(dest(e), e.node, meta);
  return { files: files.length - failed.size, dirs, others: specials.length, skipped, bytes, errors, seconds: (Date.now() - started) / 1000 };
}

async function restorePack(job: Job, plan: PackPlan): Promise<number> {
  let written = 0;
  for (const span of spansOf([...plan.blobs].map(([id, b]) => [id, b.loc]))) {
    let blobs: Awaited<ReturnType<typeof fetchSpan>>;
    try {
      blobs = await fetchSpan(job.repo.backend, span);
    } catch (err) {
      for (const b of span.blobs) fail(job, plan.blobs.get(b.id)!.uses, err);
      continue;
    }
    await forEachLimited(batchesOf(blobs), BATCHES_IN_FLIGHT, async (batch) => {
      written += await restoreBatch(job, plan, batch);
    });
  }
  return written;
}

type Fetched = Awaited<ReturnType<typeof fetchSpan>>[number];

/** Runs of neighbouring blobs (sorted by offset within a span), up to BATCH_BLOBS blobs or BATCH_BYTES. */
function batchesOf(blobs: readonly Fetched[]): Fetched[][] {
  const batches: Fetched[][] = [];
  let bytes = 0;
  for (const b of blobs) {
    const cur = batches.at(-1);
    if (cur && cur.length < BATCH_BLOBS && bytes + b.loc.length <= BATCH_BYTES) {
      cur.push(b);
      bytes += b.loc.length;
    } else {
      batches.push([b]);
      bytes = b.loc.length;
    }
  }
  return batches;
}

/** Hands one batch to a worker: the bytes from its first to its last blob, copied once and transferred. */
async function restoreBatch(job: Job, plan: PackPlan, batch: Fetched[]): Promise<number> {
  const start = batch[0]!.loc.offset;
  const end = Math.max(...batch.map((b) => b.loc.offset + b.loc.length));
  const sealed = new Uint8Array(end - start);
  const blobs: RestoreBlob[] = [];
  const uses: { file: number }[][] = [];
  for (const b of batch) {
    const u = plan.blobs.get(b.id)!.uses.filter((x) => !job.failed.has(x.file));
    if (u.length === 0) continue;
    sealed.set(b.sealed, b.loc.offset - start);
    uses.push(u);
    blobs.push({
      id: b.id, at: b.loc.offset - start, length: b.loc.length, rawLength: b.loc.rawLength,
      targets: u.map((x) => {
        const f = job.files[x.file]!;
        const one = single(f);
        return { path: job.dest(f), offset: x.offset, create: one, sparse: f.node.allocated < f.node.size, ...(one && { node: f.node }) };
      }),
    });
  }
  if (blobs.length === 0) return 0;
  const weight = await job.inFlight.acquire(sealed.length);
  let results: RestoreBlobResult[];
  try {
    results = await job.pool.run({ sealed, blobs, numericOwner: job.numericOwner }, [sealed.buffer]);
  } finally {
    job.inFlight.release(weight);
  }
  let written = 0;
  results.forEach((r, i) => {
    if (r.error !== undefined) fail(job, uses[i]!, new Error(r.error));
    for (const [path, message] of r.warnings) job.warn(path, message);
    written += r.written;
  });
  return written;
}

function fail(job: Job, uses: { file: number }[], err: unknown): void {
  if (err instanceof RozenError && err.code === 'NoSpace') throw err;
  for (const u of uses) {
    if (job.failed.has(u.file)) continue;
    job.failed.add(u.file);
    job.report(job.dest(job.files[u.file]!), err instanceof Error ? err.message : String(err));
  }
}

async function keepExisting(path: Buffer, e: PlannedEntry, mode: OverwriteMode): Promise<boolean> {
  const st = await lstat(path, { bigint: true }).catch(() => undefined);
  if (!st) return false;
  if (mode === 'never') return true;
  return e.node.type === 'file' && st.isFile() && Number(st.size) === e.node.size && st.mtimeNs === e.node.mtimeNs;
}

function check(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RozenError('Interrupted', 'interrupted');
}
