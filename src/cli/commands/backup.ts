/** `rozen backup <repo> <path>...`: store a new snapshot of the given paths. */
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { RozenError } from '../../core/errors.js';
import { findSnapshot, listSnapshots } from '../../repo/snapshots.js';
import { runBackup, startWalk } from '../../snapshot/backup/backup.js';
import type { WalkAhead } from '../../snapshot/fs/walk-ahead.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { Repository } from '../../repo/repository.js';
import { withRepo } from '../context.js';
import { excludeMatcher, readExcludeFiles } from '../excludes.js';
import { formatBytes, json, out, warn } from '../output.js';
import { backupProgress, progressMode } from '../progress-bar.js';
import { underLock } from '../signals.js';
import { shortId } from '../../core/ids.js';

interface BackupOpts {
  readonly tag: string[];
  readonly host?: string;
  readonly exclude: string[];
  readonly excludeFile: string[];
  readonly oneFileSystem?: boolean;
  readonly compression: 'auto' | 'off' | 'max';
  readonly parent?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

async function pickParent(repo: Repository, host: string, paths: string[], explicit?: string): Promise<Snapshot | undefined> {
  if (explicit) return findSnapshot(repo, explicit);
  const key = [...paths].sort().join('\0');
  return (await listSnapshots(repo)).filter((s) => s.hostname === host && [...s.paths].sort().join('\0') === key).at(-1);
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('back up files and directories into a new snapshot')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .argument('<path...>', 'files or directories to back up')
    .option('--tag <tag>', 'add a tag to the snapshot (repeatable)', collect, [])
    .option('--host <host>', "record this host name instead of the machine's")
    .option('--exclude <glob>', 'skip paths matching the glob (repeatable); without "/" it matches any name', collect, [])
    .option('--exclude-file <file>', 'read exclude globs from a file, one per line (repeatable)', collect, [])
    .option('--one-file-system', 'do not cross filesystem boundaries below each path')
    .addOption(
      new Option('--compression <mode>', 'zstd compression: auto skips data that does not shrink')
        .choices(['auto', 'off', 'max'])
        .default('auto'),
    )
    .option('--parent <snapshot>', 'compare with this snapshot instead of the latest one of the same host and paths')
    .option('--quiet', 'print nothing but errors')
    .option('--json', 'print newline-delimited JSON status and a summary')
    .action(async (url: string, rawPaths: string[], opts: BackupOpts, cmd: Command) => {
      const paths = rawPaths.map((p) => resolve(p));
      for (const p of paths) {
        await access(p).catch(() => {
          throw new RozenError('InvalidArgument', `${p}: no such file or directory`);
        });
      }
      const patterns = [...opts.exclude, ...(await readExcludeFiles(opts.excludeFile))];
      const exclude = excludeMatcher(patterns);
      // The disk is scanned while the repository opens; the walk waits, bounded, for the backup to take it.
      const walk = startWalk({ paths, ...(exclude && { exclude }), ...(opts.oneFileSystem && { oneFileSystem: true }) });
      try {
        await backupInto(url, cmd, paths, opts, exclude, walk);
      } finally {
        walk.stop();
      }
    });
}

async function backupInto(
  url: string,
  cmd: Command,
  paths: string[],
  opts: BackupOpts,
  exclude: ReturnType<typeof excludeMatcher>,
  walk: WalkAhead,
): Promise<void> {
  await withRepo(url, cmd, async (repo) => {
    const host = opts.host ?? hostname();
    // The parent is looked up while the lock is taken (both wait on the repository), and awaited under it.
    const parentLookup = pickParent(repo, host, paths, opts.parent);
    parentLookup.catch(() => undefined); // a failure is reported where it is awaited
    let progress: ReturnType<typeof backupProgress> | undefined;
    const interrupted = 'interrupted: finished packs were kept and indexed, no snapshot was written';
    await underLock(repo, { exclusive: false, interrupted, progress: { stop: () => progress?.stop() } }, async (signal) => {
      const parent = await parentLookup;
      progress = backupProgress(progressMode(opts), parent?.summary?.['bytes_total'] ?? 0);
      const result = await runBackup(repo, {
        paths,
        tags: opts.tag,
        hostname: host,
        ...(exclude && { exclude }),
        ...(opts.oneFileSystem && { oneFileSystem: true }),
        compression: opts.compression,
        ...(parent && { parent }),
        progress,
        signal,
        walk,
      });
      progress.stop();
      const c = result.counters;
      if (opts.json) {
        json({
          message_type: 'summary',
          files_new: c.filesNew,
          files_changed: c.filesChanged,
          files_unmodified: c.filesUnmodified,
          dirs: c.dirs,
          errors: c.errors,
          bytes_read: c.bytesRead,
          bytes_total: c.bytesTotal,
          bytes_added: c.bytesAdded,
          blobs_new: c.blobsNew,
          duration_seconds: result.seconds,
          snapshot_id: result.snapshotId,
          parent: parent?.id ?? null,
        });
      } else if (!opts.quiet) {
        out(`files: ${c.filesNew} new, ${c.filesChanged} changed, ${c.filesUnmodified} unmodified; ${c.dirs} directories`);
        out(
          `read ${formatBytes(c.bytesRead)} of ${formatBytes(c.bytesTotal)}, added ${formatBytes(c.bytesAdded)} to the repository in ${result.seconds.toFixed(1)} s`,
        );
        out(`snapshot ${shortId(result.snapshotId)} saved`);
      }
      if (c.errors > 0) {
        warn(`${c.errors} file(s) could not be read; the snapshot holds everything else`);
        process.exitCode = 3;
      }
    });
  });
}
