/**
 * Restore a snapshot into a directory: create the tree, fetch each pack once (in ranges) and
 * write every blob to the files that use it, then apply metadata (directories last, deepest
 * first). A file whose data cannot be read or verified is removed and reported; the rest is restored.
 */
import { lstat, mkdir, open, rm, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RozenError } from '../../core/errors.js';
import { createBlobPool, type BlobPool } from '../../repo/blob-pool.js';
import type { Repository } from '../../repo/repository.js';
import { applyMetadata, createSpecial, linkTo } from '../fs/restore-meta.js';
import { SparseWriter } from '../fs/sparse.js';
import type { Snapshot } from '../snapshot.js';
import { FdCache } from './fd-cache.js';
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
  let skipped = 0;
  let dirs = 0;
  let others = 0;
  for (const e of entries) {
    check(opts.signal);
    const path = dest(e);
    if (e.node.type === 'dir') {
      dirs++;
      await createSpecial(path, e.node);
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
    if (await keepExisting(path, e, opts.overwrite ?? 'always')) {
      skipped++;
      continue;
    }
    await rm(path, { force: true, recursive: false }).catch(() => undefined);
    if (e.node.type === 'file') {
      await (await open(path, 'w', 0o600)).close();
      files.push(e);
    } else {
      others++;
      await createSpecial(path, e.node);
    }
  }

  const pool = createBlobPool({ encKey: repo.master.encKey, idKey: repo.master.idKey });
  const fds = new FdCache();
  const totalBytes = files.reduce((a, f) => a + f.node.size, 0);
  let bytes = 0;
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
        bytes += await restorePack(repo, pool, fds, p, files, dest, failed, report);
        progress.update({ files: files.length, bytes, totalBytes });
      }
    };
    await Promise.all(Array.from({ length: PACKS_IN_FLIGHT }, worker));
  } finally {
    await fds.closeAll();
    await pool.close();
  }

  const meta = { numericOwner: opts.numericOwner ?? true, onWarning: (p: Buffer, m: string) => progress.error(p.toString(), m) };
  for (const [i, f] of files.entries()) {
    const path = dest(f);
    if (failed.has(i)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    const h = await open(path, 'r+');
    try {
      await h.truncate(f.node.size);
    } finally {
      await h.close();
    }
    await applyMetadata(path, f.node, meta);
  }
  const failedPaths = new Set([...failed].map((i) => files[i]!.path.toString()));
  for (const [primary, alias] of links) {
    if (failedPaths.has(primary.path.toString())) continue;
    const path = dest(alias);
    await rm(path, { force: true }).catch(() => undefined);
    await linkTo(dest(primary), path);
  }
  for (const e of entries) if (e.node.type !== 'file' && e.node.type !== 'dir') await applyMetadata(dest(e), e.node, meta);
  for (const e of [...entries].reverse()) if (e.node.type === 'dir') await applyMetadata(dest(e), e.node, meta);
  return { files: files.length - failed.size, dirs, others, skipped, bytes, errors, seconds: (Date.now() - started) / 1000 };
}

async function restorePack(
  repo: Repository, pool: BlobPool, fds: FdCache, plan: PackPlan, files: PlannedEntry[],
  dest: (e: PlannedEntry) => Buffer, failed: Set<number>, report: (p: Buffer, m: string) => void,
): Promise<number> {
  let written = 0;
  for (const span of spansOf([...plan.blobs].map(([id, b]) => [id, b.loc]))) {
    let blobs: Awaited<ReturnType<typeof fetchSpan>>;
    try {
      blobs = await fetchSpan(repo.backend, span);
    } catch (err) {
      for (const b of span.blobs) fail(plan.blobs.get(b.id)!.uses, err);
      continue;
    }
    const opened = blobs.map((b) => pool.open({ id: b.id, sealed: b.sealed, rawLength: b.loc.rawLength }));
    opened.forEach((p) => p.catch(() => undefined));
    for (const [k, b] of blobs.entries()) {
      const uses = plan.blobs.get(b.id)!.uses;
      let plain: Uint8Array;
      try {
        plain = await opened[k]!;
      } catch (err) {
        fail(uses, err);
        continue;
      }
      for (const u of uses) {
        if (failed.has(u.file)) continue;
        const f = files[u.file]!;
        const h = await fds.get(u.file, dest(f));
        if (f.node.allocated < f.node.size) await new SparseWriter(h).write(plain, u.offset);
        else await writeAll(h, plain, u.offset);
        written += plain.length;
      }
    }
  }
  return written;

  function fail(uses: { file: number }[], err: unknown): void {
    if (err instanceof RozenError && err.code === 'NoSpace') throw err;
    for (const u of uses) {
      if (failed.has(u.file)) continue;
      failed.add(u.file);
      report(dest(files[u.file]!), err instanceof Error ? err.message : String(err));
    }
  }
}

async function writeAll(h: import('node:fs/promises').FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await h.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

async function keepExisting(path: Buffer, e: PlannedEntry, mode: OverwriteMode): Promise<boolean> {
  if (mode === 'always') return false;
  const st = await lstat(path, { bigint: true }).catch(() => undefined);
  if (!st) return false;
  if (mode === 'never') return true;
  return e.node.type === 'file' && st.isFile() && Number(st.size) === e.node.size && st.mtimeNs === e.node.mtimeNs;
}

function check(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RozenError('Interrupted', 'interrupted');
}
