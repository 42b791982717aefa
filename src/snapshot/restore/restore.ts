/**
 * Restore a snapshot into a directory, a window of entries at a time in walk order: create the
 * window's entries, fetch each of its packs once (in ranges) and write every blob to the files
 * that use it, apply the files' metadata, then that of the directories whose subtree is complete
 * (deepest first). A file whose data cannot be read or verified is removed and reported; the rest
 * is restored. Memory holds two windows' plans, whatever the snapshot's size.
 */
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { lstat, mkdir, rm, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RozenError } from '../../core/errors.js';
import { forEachLimited } from '../../repo/for-each-limited.js';
import type { Repository } from '../../repo/repository.js';
import { nativeKeys } from '../../repo/native-open.js';
import { applyMetadata, createSpecial, linkTo, ownerResolver, type MetadataOptions, type OwnerOf } from '../fs/restore-meta.js';
import type { Snapshot } from '../../core/snapshot.js';
import { createFileSync } from './create-file.js';
import { fail, restorePack, single, type Job } from './pack-restore.js';
import { planPacks, walkSelected, type PlannedEntry, type Selection, type WalkStep } from './plan.js';

export type OverwriteMode = 'always' | 'if-changed' | 'never';

export interface RestoreProgress {
  /** `totalBytes` is 0 when not known ahead (a selection). */
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
  /** Walk steps per window (default WINDOW_STEPS); tests restore in tiny windows. */
  readonly windowSteps?: number;
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
const META_IN_FLIGHT = 32;
/** Walk steps per window: one window's entries and blob plan are held at a time. */
const WINDOW_STEPS = 16_384;

/** A hardlinked file's first entry: where it was restored, and whether it was. */
interface Primary {
  readonly path: Buffer;
  restored: boolean;
}

/** What lasts across windows. */
interface Run {
  readonly repo: Repository;
  readonly keys: Uint8Array;
  readonly dest: (e: PlannedEntry) => Buffer;
  readonly report: (p: Buffer, m: string) => void;
  readonly progress: RestoreProgress;
  readonly owner: OwnerOf;
  readonly meta: MetadataOptions;
  readonly opts: RestoreOptions;
  /** Hardlinked files by device and inode: one record per hardlinked file met, not per file. */
  readonly primaries: Map<string, Primary>;
  /** One span buffer per pack worker, reused across windows. */
  readonly buffers: { bytes: Uint8Array }[];
  readonly totals: { files: number; dirs: number; others: number; skipped: number; bytes: number; errors: number };
  readonly totalBytes: number;
}

/** One window's entries, sorted by what is done with them. */
interface Window {
  readonly files: PlannedEntry[];
  readonly specials: PlannedEntry[];
  readonly links: [primary: Primary, alias: PlannedEntry][];
  /** Directories whose subtree is complete, deepest first. */
  readonly left: PlannedEntry[];
  /** The files' blobs by pack, looked up while the window before is written. */
  readonly plan: FilePlan;
}

type FilePlan = Awaited<ReturnType<typeof planPacks>>;

export async function runRestore(repo: Repository, snap: Snapshot, opts: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const target = Buffer.from(resolve(opts.target));
  const progress = opts.progress ?? { update() {}, error() {} };
  await mkdir(target, { recursive: true });
  const numericOwner = opts.numericOwner ?? true;
  const keys = nativeKeys(repo.master.encKey, repo.master.idKey);
  const run: Run = {
    repo,
    keys,
    progress,
    opts,
    dest: (e) => Buffer.concat([target, e.path]),
    report: (path, message) => {
      run.totals.errors++;
      progress.error(path.toString(), message);
    },
    owner: await ownerResolver({ numericOwner }),
    meta: { numericOwner, onWarning: (p: Buffer, m: string) => progress.error(p.toString(), m) },
    primaries: new Map(),
    buffers: Array.from({ length: PACKS_IN_FLIGHT }, () => ({ bytes: new Uint8Array(0) })),
    totals: { files: 0, dirs: 0, others: 0, skipped: 0, bytes: 0, errors: 0 },
    totalBytes: wholeSize(snap, opts.selection),
  };
  // A window's entries are created while the window before it is written: at most two windows are held.
  let writing = Promise.resolve();
  try {
    await walkSelected(repo, snap.tree, opts.selection ?? {}, opts.windowSteps ?? WINDOW_STEPS, async (steps) => {
      const w = await createEntries(run, steps);
      const previous = writing;
      writing = previous.then(() => writeWindow(run, w));
      writing.catch(() => undefined); // awaited by the next window or below
      await previous;
    });
    await writing;
  } finally {
    await writing.catch(() => undefined);
    keys.fill(0);
  }
  return { ...run.totals, seconds: (Date.now() - started) / 1000 };
}

/** The bytes of a whole snapshot's files, as its backup counted them; 0 (unknown) for a selection. */
function wholeSize(snap: Snapshot, sel: Selection | undefined): number {
  return sel?.include || sel?.exclude ? 0 : (snap.summary?.['bytes_total'] ?? 0);
}

/** Writes a window whose entries exist: its files' data and metadata, its links, then its finished directories' metadata. */
async function writeWindow(run: Run, w: Window): Promise<void> {
  await forEachLimited(w.specials, META_IN_FLIGHT, async (e) => {
    await rm(run.dest(e), { force: true });
    await createSpecial(run.dest(e), e.node);
  });
  const job: Job = { ...run, files: w.files, failed: new Set(), warn: (path, message) => run.progress.error(path, message) };
  await writeFiles(run, job, w.plan);
  await finishFiles(run, job);
  for (const [primary, alias] of w.links) {
    if (!primary.restored) continue;
    const path = run.dest(alias);
    await rm(path, { force: true }).catch(() => undefined);
    await linkTo(primary.path, path);
  }
  await forEachLimited(w.specials, META_IN_FLIGHT, (e) => applyMetadata(run.dest(e), e.node, run.meta));
  for (const e of w.left) await applyMetadata(run.dest(e), e.node, run.meta);
  run.totals.others += w.specials.length;
}

/** Creates the window's directories, sorts its other entries (hardlinks after the first become links) and plans its packs. */
async function createEntries(run: Run, steps: WalkStep[]): Promise<Window> {
  const w: Omit<Window, 'plan'> = { files: [], specials: [], links: [], left: [] };
  for (const { kind, entry: e } of steps) {
    check(run.opts.signal);
    if (kind === 'leave') {
      w.left.push(e);
    } else if (e.node.type === 'dir') {
      run.totals.dirs++;
      await createSpecial(run.dest(e), e.node);
    } else if (!linkToEarlier(run, w, e)) {
      const mode = run.opts.overwrite ?? 'always';
      if (mode !== 'always' && (await keepExisting(run.dest(e), e, mode))) {
        run.totals.skipped++;
        const primary = primaryOf(run, e);
        if (primary) primary.restored = true;
      } else if (e.node.type === 'file') w.files.push(e);
      else w.specials.push(e);
    }
  }
  return { ...w, plan: await planPacks(run.repo, w.files) };
}

const linkKey = (e: PlannedEntry): string | undefined =>
  e.node.type === 'file' && e.node.links > 1 ? `${e.node.device}:${e.node.inode}` : undefined;

const primaryOf = (run: Run, e: PlannedEntry): Primary | undefined => {
  const key = linkKey(e);
  return key === undefined ? undefined : run.primaries.get(key);
};

/** True when `e` is a later link of a hardlinked file met before (it is linked once that one is restored). */
function linkToEarlier(run: Run, w: Pick<Window, 'links'>, e: PlannedEntry): boolean {
  const key = linkKey(e);
  if (key === undefined) return false;
  const primary = run.primaries.get(key);
  if (primary) {
    w.links.push([primary, e]);
    return true;
  }
  run.primaries.set(key, { path: run.dest(e), restored: false });
  return false;
}

/** Writes every blob of the window's files, each pack fetched once. */
async function writeFiles(run: Run, job: Job, { packs, missing }: FilePlan): Promise<void> {
  for (const f of job.files) if ((f.node.content?.length ?? 0) > 1) closeSync(createFileSync(run.dest(f)));
  for (const i of missing) fail(job, [{ file: i }], new Error('data missing from the repository index'));
  const queue = [...packs];
  const worker = async (buffer: { bytes: Uint8Array }): Promise<void> => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      check(run.opts.signal);
      const written = await restorePack(job, p, buffer); // not `+= await`: the other worker adds meanwhile
      run.totals.bytes += written;
      run.progress.update({ files: run.totals.files + job.files.length, bytes: run.totals.bytes, totalBytes: run.totalBytes });
    }
  };
  await Promise.all(run.buffers.map(worker));
}

/** Sizes and metadata of the files not finished in the addon; failed files are removed. */
async function finishFiles(run: Run, job: Job): Promise<void> {
  await forEachLimited([...job.files.entries()], META_IN_FLIGHT, async ([i, f]) => {
    const path = run.dest(f);
    if (job.failed.has(i)) {
      await unlink(path).catch(() => undefined);
      return;
    }
    const primary = primaryOf(run, f);
    if (primary?.path.equals(path)) primary.restored = true;
    if (single(f)) return;
    const fd = (f.node.content?.length ?? 0) === 0 ? createFileSync(path) : openSync(path, 'r+');
    try {
      ftruncateSync(fd, f.node.size);
    } finally {
      closeSync(fd);
    }
    await applyMetadata(path, f.node, run.meta);
  });
  run.totals.files += job.files.length - job.failed.size;
}

/** Whether `--overwrite if-changed|never` leaves what is at `path` in place of `e`. */
export async function keepExisting(path: Buffer, e: PlannedEntry, mode: OverwriteMode): Promise<boolean> {
  const st = await lstat(path, { bigint: true }).catch(() => undefined);
  if (!st) return false;
  if (mode === 'never') return true;
  return e.node.type === 'file' && st.isFile() && Number(st.size) === e.node.size && st.mtimeNs === e.node.mtimeNs;
}

function check(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RozenError('Interrupted', 'interrupted');
}
