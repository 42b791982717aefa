/**
 * Restore a snapshot into a directory: create the tree, fetch each pack once (in ranges) and
 * write every blob to the files that use it, then apply metadata (directories last, deepest
 * first). A file whose data cannot be read or verified is removed and reported; the rest is restored.
 */
import { closeSync, ftruncateSync, openSync, rmSync } from 'node:fs';
import { lstat, mkdir, rm, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { mapFsError } from '../../backend/fs-error.js';
import { RozenError } from '../../core/errors.js';
import { forEachLimited } from '../../repo/for-each-limited.js';
import type { Repository } from '../../repo/repository.js';
import { nativeKeys } from '../../repo/native-open.js';
import { applyMetadata, createSpecial, linkTo, ownerResolver, splitNs, type OwnerOf } from '../fs/restore-meta.js';
import type { Snapshot } from '../../core/snapshot.js';
import { createFileSync } from './create-file.js';
import { MAX_SPAN, fetchSpan, spansOf, type Span } from './pack-fetch.js';
import { writeBlobs, type WriteBlob, type WriteTarget } from './write-blobs.js';
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
/**
 * Addon jobs per pack at once. Each holds buffers as large as its largest blob: two jobs restored the benchmark
 * corpus 6 % faster than one (more files created at once), but over the chunks of large files they held 20 MiB
 * more at the peak (213 against 193 MiB). So two run over a span whose blobs are all small, one otherwise.
 */
const BATCHES_IN_FLIGHT = 2;
const SMALL_BLOB = 2 * 1024 * 1024;
const BATCH_BLOBS = 64;
const BATCH_BYTES = 4 * 1024 * 1024;
const META_IN_FLIGHT = 32;

interface Job {
  readonly repo: Repository;
  /** The repository's keys as the addon takes them. */
  readonly keys: Uint8Array;
  readonly files: PlannedEntry[];
  readonly dest: (e: PlannedEntry) => Buffer;
  readonly failed: Set<number>;
  readonly report: (p: Buffer, m: string) => void;
  readonly warn: (path: string, message: string) => void;
  readonly owner: OwnerOf;
}

/** A file made of exactly one blob is created, written and finished in the addon's job that opens the blob. */
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

  const numericOwner = opts.numericOwner ?? true;
  const keys = nativeKeys(repo.master.encKey, repo.master.idKey);
  const owner = await ownerResolver({ numericOwner });
  const job: Job = { repo, keys, files, dest, failed, report, warn: (path, message) => progress.error(path, message), owner };
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
    // One buffer per worker for the spans it fetches, reused: a new 16 MiB buffer per span made V8 run a full GC
    // every few spans (external memory), 1.3 s of a 7 s restore.
    const buffer = { bytes: new Uint8Array(0) };
    for (let p = queue.shift(); p; p = queue.shift()) {
      check(opts.signal);
      const n = await restorePack(job, p, buffer);
      bytes += n;
      progress.update({ files: files.length, bytes, totalBytes });
    }
  };
  await Promise.all(Array.from({ length: PACKS_IN_FLIGHT }, worker));

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

/** Each span is fetched into `buffer` (where the backend can) and written before the next one is fetched. */
async function restorePack(job: Job, plan: PackPlan, buffer: { bytes: Uint8Array }): Promise<number> {
  let written = 0;
  for (const span of spansOf([...plan.blobs].map(([id, b]) => [id, b.loc]))) {
    if (buffer.bytes.length < span.length) buffer.bytes = new Uint8Array(Math.max(span.length, MAX_SPAN));
    let bytes: Uint8Array;
    try {
      bytes = await fetchSpan(job.repo.backend, span, buffer.bytes);
    } catch (err) {
      for (const b of span.blobs) fail(job, plan.blobs.get(b.id)!.uses, err);
      continue;
    }
    const jobs = span.blobs.every((b) => b.loc.rawLength <= SMALL_BLOB) ? BATCHES_IN_FLIGHT : 1;
    await forEachLimited(batchesOf(span.blobs), jobs, async (batch) => {
      written += await restoreBatch(job, plan, bytes, span.offset, batch);
    });
  }
  return written;
}

type SpanBlob = Span['blobs'][number];

/** Runs of neighbouring blobs (sorted by offset within a span), up to BATCH_BLOBS blobs or BATCH_BYTES. */
function batchesOf(blobs: readonly SpanBlob[]): SpanBlob[][] {
  const batches: SpanBlob[][] = [];
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

/** A blob to write and, per target, the file it belongs to. */
interface Planned {
  readonly blob: WriteBlob;
  readonly files: number[];
}

/** Opens and writes one batch in the addon, straight from the fetched span (`bytes`, starting at pack offset `base`). */
async function restoreBatch(job: Job, plan: PackPlan, bytes: Uint8Array, base: number, batch: SpanBlob[]): Promise<number> {
  const planned: Planned[] = [];
  for (const b of batch) {
    const uses = plan.blobs.get(b.id)!.uses.filter((x) => !job.failed.has(x.file));
    if (uses.length === 0) continue;
    const targets = uses.map((x) => target(job, job.files[x.file]!, x.offset));
    const blob = { id: b.id, at: b.loc.offset - base, length: b.loc.length, rawLength: b.loc.rawLength, targets };
    planned.push({ blob, files: uses.map((x) => x.file) });
  }
  return planned.length === 0 ? 0 : writePlanned(job, bytes, planned, true);
}

function target(job: Job, f: PlannedEntry, offset: number): WriteTarget {
  const n = f.node;
  const sparse = n.allocated < n.size;
  if (!single(f)) return { path: job.dest(f), offset, create: false, sparse };
  const finish = { size: n.size, ...job.owner(n), mode: n.mode, atime: splitNs(n.atimeNs), mtime: splitNs(n.mtimeNs), xattrs: n.xattrs ?? [] };
  return { path: job.dest(f), offset, create: true, sparse, finish };
}

/** Codes of a path in the way of a new file (a symlink, a directory, a running program): removed, then written again. */
const IN_THE_WAY = new Set(['ELOOP', 'EISDIR', 'ETXTBSY']);

async function writePlanned(job: Job, bytes: Uint8Array, planned: Planned[], retry: boolean): Promise<number> {
  const outcomes = await writeBlobs(job.keys, bytes, planned.map((p) => p.blob));
  const again: Planned[] = [];
  let written = 0;
  outcomes.forEach((o, i) => {
    const { blob, files } = planned[i]!;
    if (o.problem !== '') return fail(job, files.map((file) => ({ file })), new Error(o.problem));
    const redo: number[] = [];
    o.targets.forEach((t, k) => {
      const path = blob.targets[k]!.path;
      for (const w of t.warnings) job.warn(path.toString(), w);
      if (!t.error) {
        written += blob.rawLength;
      } else if (retry && blob.targets[k]!.create && IN_THE_WAY.has(t.error.code ?? '')) {
        rmSync(path, { recursive: true, force: true });
        redo.push(k);
      } else if (t.error.code === 'ENOSPC' || t.error.code === 'EDQUOT') {
        throw mapFsError(t.error, 'write', path.toString());
      } else {
        fail(job, [{ file: files[k]! }], t.error);
      }
    });
    if (redo.length > 0) again.push({ blob: { ...blob, targets: redo.map((k) => blob.targets[k]!) }, files: redo.map((k) => files[k]!) });
  });
  return written + (again.length > 0 ? await writePlanned(job, bytes, again, false) : 0);
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
