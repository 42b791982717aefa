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
import { createTaskPool, portable, type TaskPool } from '../../repo/task-pool.js';
import type { Repository } from '../../repo/repository.js';
import { applyMetadata, createSpecial, linkTo } from '../fs/restore-meta.js';
import { Semaphore } from '../semaphore.js';
import type { Snapshot } from '../../core/snapshot.js';
import { createFileSync } from './create-file.js';
import { RestoreTasks, type RestoreBlobRequest, type RestoreBlobResult } from './restore-task.js';
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

const PACKS_IN_FLIGHT = 3;
const TASKS_IN_FLIGHT = 12;
const META_IN_FLIGHT = 32;
const BYTES_IN_FLIGHT = 48 * 1024 * 1024;

interface Job {
  readonly repo: Repository;
  readonly pool: TaskPool<RestoreBlobRequest, RestoreBlobResult>;
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

  const keys = { encKey: repo.master.encKey, idKey: repo.master.idKey };
  const pool = createTaskPool<RestoreBlobRequest, RestoreBlobResult>(new URL('./restore-worker.js', import.meta.url), keys, () => {
    const tasks = new RestoreTasks(keys);
    return (req) => tasks.run(req) as unknown as RestoreBlobResult;
  });
  const numericOwner = opts.numericOwner ?? true;
  const job: Job = { repo, pool, files, dest, failed, report, warn: (path, message) => progress.error(path, message), numericOwner, inFlight: new Semaphore(BYTES_IN_FLIGHT) };
  const totalBytes = files.reduce((a, f) => a + f.node.size, 0);
  let bytes = 0;
  for (const f of files) if ((f.node.content?.length ?? 0) > 1) closeSync(createFileSync(dest(f)));
  try {
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
  } finally {
    await pool.close();
  }

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
    await forEachLimited(blobs, TASKS_IN_FLIGHT, async (b) => {
      const uses = plan.blobs.get(b.id)!.uses.filter((u) => !job.failed.has(u.file));
      if (uses.length === 0) return;
      const targets = uses.map((u) => {
        const f = job.files[u.file]!;
        const one = single(f);
        return { path: job.dest(f), offset: u.offset, create: one, sparse: f.node.allocated < f.node.size, ...(one && { node: f.node }) };
      });
      const weight = await job.inFlight.acquire(b.sealed.length);
      let r: RestoreBlobResult;
      try {
        const sealed = portable(b.sealed);
        r = await job.pool.run({ id: b.id, sealed: sealed.data, rawLength: b.loc.rawLength, targets, numericOwner: job.numericOwner }, sealed.transferList);
      } finally {
        job.inFlight.release(weight);
      }
      if (r.error !== undefined) fail(job, uses, new Error(r.error));
      for (const [path, message] of r.warnings) job.warn(path, message);
      written += r.written;
    });
  }
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
