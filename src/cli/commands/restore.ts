/** `rozen restore <repo> <snapshot> --target DIR`: write a snapshot (or part of it) back to disk. */
import { Command, Option } from 'commander';
import picomatch from 'picomatch';
import cliProgress from 'cli-progress';
import { RozenError } from '../../core/errors.js';
import { findSnapshot } from '../../repo/snapshots.js';
import { runRestore, type OverwriteMode, type RestoreProgress } from '../../snapshot/restore/restore.js';
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

function restoreProgress(mode: ReturnType<typeof progressMode>): RestoreProgress & { stop(): void } {
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
  readonly quiet?: boolean;
  readonly json?: boolean;
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
      .option('--quiet', 'print nothing but errors')
      .option('--json', 'print a JSON summary'),
  ).action(async (url: string, sel: string, opts: RestoreOpts, cmd: Command) => {
    await withRepo(url, cmd, async (repo) => {
      const snap = await findSnapshot(repo, sel, snapshotFilter(opts));
      const progress = restoreProgress(progressMode(opts));
      await underLock(repo, { exclusive: false, interrupted: 'interrupted: the restore is incomplete', progress }, async (signal) => {
        const r = await runRestore(repo, snap, {
          target: opts.target,
          selection: { include: matcher(opts.include), exclude: matcher(opts.exclude) },
          overwrite: opts.overwrite,
          progress,
          signal,
        });
        progress.stop();
        if (opts.json)
          json({
            message_type: 'summary',
            snapshot_id: snap.id,
            files_restored: r.files,
            dirs: r.dirs,
            others: r.others,
            files_skipped: r.skipped,
            bytes_restored: r.bytes,
            errors: r.errors,
            duration_seconds: r.seconds,
          });
        else if (!opts.quiet)
          out(
            `restored ${r.files} files, ${r.dirs} directories, ${r.others} other entries (${formatBytes(r.bytes)}) from snapshot ${shortId(snap.id)} in ${r.seconds.toFixed(1)} s${r.skipped ? `; ${r.skipped} existing left alone` : ''}`,
          );
        if (r.errors > 0)
          throw new RozenError('CorruptData', `${r.errors} file(s) could not be restored (see above); everything else was restored`);
      });
    });
  });
}
