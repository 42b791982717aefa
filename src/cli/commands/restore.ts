/** `rozen restore <repo> <snapshot> --target DIR`: write a snapshot (or part of it) back to disk. */
import { Command, Option } from 'commander';
import picomatch from 'picomatch';
import cliProgress from 'cli-progress';
import { RozenError } from '../../core/errors.js';
import { findSnapshot } from '../../repo/snapshots.js';
import { runRestore, type OverwriteMode, type RestoreProgress, type RestoreResult } from '../../snapshot/restore/restore.js';
import { deleteExtras } from '../../snapshot/restore/delete-extra.js';
import { dryRunRestore, type DryRunResult } from '../../snapshot/restore/dry-run.js';
import type { Selection } from '../../snapshot/restore/plan.js';
import { verifyRestore, type VerifyResult } from '../../snapshot/restore/verify.js';
import type { Repository } from '../../repo/repository.js';
import type { Snapshot } from '../../core/snapshot.js';
import { withRepo } from '../context.js';
import { formatBytes, json, out, warn } from '../output.js';
import { progressMode } from '../progress-bar.js';
import { underLock } from '../signals.js';
import { selectorOptions, snapshotFilter, type SelectorOpts } from './selector.js';
import { shortId } from '../../core/ids.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** A glob matches a path of the snapshot or any of its parent directories' paths. */
function matcher(globs: string[]): ((path: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const ms = globs.map((g) => picomatch(g.includes('/') ? g.replace(/\/+$/, '') : `**/${g}`, { dot: true }));
  return (path) => ms.some((m) => m(path));
}

type Progress = RestoreProgress & { stop(): void };

function restoreProgress(mode: ReturnType<typeof progressMode>): Progress {
  const error = (path: string, message: string): void => warn(`${path}: ${message}`);
  if (mode !== 'tty') return { update() {}, error, stop() {} };
  const bar = new cliProgress.SingleBar({
    format: 'restoring {bar} {percentage}% | {done} of {size} | ETA {eta_formatted}',
    stream: process.stderr,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update(d) {
      // A selection's total is not known ahead (the walk streams the snapshot): the bar then shows bytes done.
      const size = d.totalBytes > 0 ? formatBytes(d.totalBytes) : '?';
      if (!started) bar.start(Math.max(1, d.totalBytes), 0, { done: '0 B', size });
      started = true;
      if (d.totalBytes <= 0) bar.setTotal(Math.max(1, d.bytes));
      bar.update(d.bytes, { done: formatBytes(d.bytes), size });
    },
    error,
    stop() {
      bar.stop();
    },
  };
}

interface RestoreOpts extends SelectorOpts {
  readonly target: string;
  readonly include: string[];
  readonly exclude: string[];
  readonly overwrite: OverwriteMode;
  readonly dryRun?: boolean;
  readonly verify?: boolean;
  readonly delete?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

/** One path acted on: a JSON line with --json, a text line unless --quiet. */
function item(o: RestoreOpts, action: string, path: string): void {
  if (o.json) json({ message_type: 'item', action, path, ...(o.dryRun && { dry_run: true }) });
  else if (!o.quiet) out(`${o.dryRun ? 'would ' : ''}${action} ${path}`);
}

/** The parts of a restore that write: removal of extras, the restore, and the verification after it. */
async function restoreAndVerify(
  repo: Repository,
  snap: Snapshot,
  o: RestoreOpts,
  run: { signal: AbortSignal; progress: Progress },
): Promise<void> {
  const { signal, progress } = run;
  const selection: Selection = { include: matcher(o.include), exclude: matcher(o.exclude) };
  const dryRun = o.dryRun === true;
  const deleted = o.delete
    ? await deleteExtras(repo, snap, { target: o.target, selection, dryRun, removed: (p) => item(o, 'delete', p) })
    : 0;
  const restored = dryRun
    ? await dryRunRestore(repo, snap, { target: o.target, selection, overwrite: o.overwrite, action: (a, p) => item(o, a, p) })
    : await runRestore(repo, snap, { target: o.target, selection, overwrite: o.overwrite, progress, signal });
  progress.stop();
  const mismatch = (path: string, why: string): void => warn(`${path}: ${why}`);
  const verified = o.verify ? await verifyRestore(repo, snap, { target: o.target, selection, mismatch, signal }) : undefined;
  printSummary(o, snap, restored, deleted, verified);
  if ('errors' in restored && restored.errors > 0)
    throw new RozenError('CorruptData', `${restored.errors} file(s) could not be restored (see above); everything else was restored`);
  if (verified && verified.mismatches > 0)
    throw new RozenError(
      'CorruptData',
      `${verified.mismatches} of ${verified.files} file(s) in the target do not match the snapshot (see above)`,
    );
}

/** The summary's figures: a restore's or a dry run's, then removal and verification when asked for. */
function summaryJson(
  o: RestoreOpts,
  snap: Snapshot,
  r: RestoreResult | DryRunResult,
  deleted: number,
  v: VerifyResult | undefined,
): object {
  const figures =
    'seconds' in r
      ? {
          files_restored: r.files,
          dirs: r.dirs,
          others: r.others,
          files_skipped: r.skipped,
          bytes_restored: r.bytes,
          errors: r.errors,
          duration_seconds: r.seconds,
        }
      : { dry_run: true, would_restore: r.restore, would_replace: r.replace, unchanged: r.unchanged, bytes: r.bytes };
  return {
    message_type: 'summary',
    snapshot_id: snap.id,
    ...figures,
    ...(o.delete && { [o.dryRun ? 'would_delete' : 'deleted']: deleted }),
    ...(v && { files_verified: v.files, files_mismatched: v.mismatches }),
  };
}

function printSummary(o: RestoreOpts, snap: Snapshot, r: RestoreResult | DryRunResult, deleted: number, v: VerifyResult | undefined): void {
  if (o.json) return json(summaryJson(o, snap, r, deleted, v));
  if (o.quiet) return;
  out(
    'seconds' in r
      ? `restored ${r.files} files, ${r.dirs} directories, ${r.others} other entries (${formatBytes(r.bytes)}) from snapshot ${shortId(snap.id)} in ${r.seconds.toFixed(1)} s${r.skipped ? `; ${r.skipped} existing left alone` : ''}`
      : `dry run: would restore ${r.restore} and replace ${r.replace} entries (${formatBytes(r.bytes)} of files), leave ${r.unchanged} as they are; nothing was written`,
  );
  if (o.delete) out(`${o.dryRun ? 'would delete' : 'deleted'} ${deleted} entries the snapshot does not have`);
  if (v) out(`verified ${v.files} file(s): ${v.mismatches === 0 ? 'all match the snapshot' : `${v.mismatches} differ`}`);
}

export function registerRestore(program: Command): void {
  selectorOptions(
    program
      .command('restore')
      .description('restore a snapshot into a directory (paths are restored below it as they were, e.g. DIR/home/u/...)')
      .argument('<repo>')
      .argument('<snapshot>', 'snapshot id, unique prefix, or latest')
      .requiredOption('--target <dir>', 'directory to restore into (created if missing)')
      .option('--include <glob>', 'restore only matching paths (repeatable)', collect, [])
      .option('--exclude <glob>', 'do not restore matching paths (repeatable)', collect, [])
      .addOption(
        new Option('--overwrite <mode>', 'existing files: always replace, replace if size or mtime differ, or never')
          .choices(['always', 'if-changed', 'never'])
          .default('always'),
      )
      .option('--dry-run', 'print what would be restored, replaced (and with --delete deleted); write nothing')
      .option(
        '--verify',
        'afterwards, read back every selected file in the target and compare it with the snapshot (keyed hash of each chunk); each file that differs is named, and the exit status is 1. With --dry-run: only verify what is there',
      )
      .option(
        '--delete',
        'remove files and directories that the snapshot does not have, in restored directories at or below its backed-up paths (never through a symlink; excluded names are kept)',
      )
      .option('--quiet', 'print nothing but errors')
      .option('--json', 'print JSON lines: one per path acted on (with --dry-run or --delete), then a summary'),
  ).action(async (url: string, sel: string, opts: RestoreOpts, cmd: Command) => {
    await withRepo(url, cmd, async (repo) => {
      const snap = await findSnapshot(repo, sel, snapshotFilter(opts));
      const interrupted = opts.dryRun ? 'interrupted' : 'interrupted: the restore is incomplete';
      const progress = restoreProgress(opts.dryRun ? 'quiet' : progressMode(opts));
      await underLock(repo, { exclusive: false, interrupted, progress }, (signal) =>
        restoreAndVerify(repo, snap, opts, { signal, progress }),
      );
    });
  });
}
