/** Restoring the blobs of one pack: fetched in spans, opened and written to their files in the addon. */
import { rmSync } from 'node:fs';
import { mapFsError } from '../../backend/fs-error.js';
import { RozenError } from '../../core/errors.js';
import { forEachLimited } from '../../repo/for-each-limited.js';
import type { Repository } from '../../repo/repository.js';
import { splitNs, type OwnerOf } from '../fs/restore-meta.js';
import { MAX_SPAN, fetchSpan, spansOf, type Span } from './pack-fetch.js';
import { writeBlobs, type WriteBlob, type WriteTarget } from './write-blobs.js';
import type { PackPlan, PlannedEntry } from './plan.js';
import { MiB } from '../../core/sizes.js';

/**
 * Addon jobs per pack at once. Each holds buffers as large as its largest blob: two jobs restore many small
 * files faster than one (more files created at once), but over the chunks of large files they hold more
 * memory for no gain. So two run over a span whose blobs are all small, one otherwise.
 */
const BATCHES_IN_FLIGHT = 2;
const SMALL_BLOB = 2 * MiB;
const BATCH_BLOBS = 64;
const BATCH_BYTES = 4 * MiB;

/** The files of one window being restored, and how to report on them. */
export interface Job {
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
export const single = (f: PlannedEntry): boolean => (f.node.content?.length ?? 0) === 1;

/** Each span is fetched into `buffer` (where the backend can) and written before the next one is fetched. */
export async function restorePack(job: Job, plan: PackPlan, buffer: { bytes: Uint8Array }): Promise<number> {
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
  const finish = {
    size: n.size,
    ...job.owner(n),
    mode: n.mode,
    atime: splitNs(n.atimeNs),
    mtime: splitNs(n.mtimeNs),
    xattrs: n.xattrs ?? [],
  };
  return { path: job.dest(f), offset, create: true, sparse, finish };
}

/** Codes of a path in the way of a new file (a symlink, a directory, a running program): removed, then written again. */
const IN_THE_WAY = new Set(['ELOOP', 'EISDIR', 'ETXTBSY']);

async function writePlanned(job: Job, bytes: Uint8Array, planned: Planned[], retry: boolean): Promise<number> {
  const outcomes = await writeBlobs(
    job.keys,
    bytes,
    planned.map((p) => p.blob),
  );
  const again: Planned[] = [];
  let written = 0;
  outcomes.forEach((o, i) => {
    const { blob, files } = planned[i]!;
    if (o.problem !== '')
      return fail(
        job,
        files.map((file) => ({ file })),
        new Error(o.problem),
      );
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

export function fail(job: Job, uses: { file: number }[], err: unknown): void {
  if (err instanceof RozenError && err.code === 'NoSpace') throw err;
  for (const u of uses) {
    if (job.failed.has(u.file)) continue;
    job.failed.add(u.file);
    job.report(job.dest(job.files[u.file]!), err instanceof Error ? err.message : String(err));
  }
}
