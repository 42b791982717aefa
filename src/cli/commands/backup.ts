/** `rozen backup <repo> <path>...`: store a new snapshot of the given paths. */
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { RozenError } from '../../core/errors.js';
import { findSnapshot, listSnapshots } from '../../repo/snapshots.js';
import { runBackup, startWalk, type BackupOptions } from '../../snapshot/backup/backup.js';
import type { WalkAhead } from '../../snapshot/fs/walk-ahead.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { Repository } from '../../repo/repository.js';
import { withRepo } from '../context.js';
import { excludeMatcher, readExcludeFiles } from '../excludes.js';
import { existingPaths, readPathLists, recordedPaths, type Unreadable } from '../files-from.js';
import { CACHEDIR_TAG, parseTagSpec, type TagSpec } from '../../snapshot/fs/tag-files.js';
import { stdinName } from '../../snapshot/backup/stdin-file.js';
import { parseSize } from '../size-arg.js';
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
  readonly excludeCaches?: boolean;
  readonly excludeIfPresent: string[];
  readonly excludeLargerThan?: string;
  readonly filesFrom: string[];
  readonly filesFromVerbatim: string[];
  readonly filesFromRaw: string[];
  readonly stdin?: boolean;
  readonly stdinFilename: string;
  readonly dryRun?: boolean;
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

/** What one backup reads: the walk's choices, and either paths or stdin. */
interface Plan {
  readonly paths: string[];
  readonly unreadable: Unreadable[];
  readonly exclude: ReturnType<typeof excludeMatcher>;
  readonly excludeLargerThan?: number;
  readonly tagFiles: TagSpec[];
  readonly stdin?: { readonly name: string; readonly stream: AsyncIterable<Uint8Array> };
}

async function planOf(rawPaths: string[], opts: BackupOpts): Promise<Plan> {
  const exclude = excludeMatcher([...opts.exclude, ...(await readExcludeFiles(opts.excludeFile))]);
  const tagFiles = [...(opts.excludeCaches ? [CACHEDIR_TAG] : []), ...opts.excludeIfPresent.map(parseTagSpec)];
  const choices = {
    exclude,
    tagFiles,
    ...(opts.excludeLargerThan !== undefined && { excludeLargerThan: parseSize(opts.excludeLargerThan) }),
  };
  const lists = [...opts.filesFrom, ...opts.filesFromVerbatim, ...opts.filesFromRaw];
  if (opts.stdin) {
    if (rawPaths.length > 0 || lists.length > 0)
      throw new RozenError('InvalidArgument', '--stdin backs up stdin only: give no paths or lists');
    const name = opts.stdinFilename;
    stdinName(name); // checked before the repository is opened
    return { ...choices, paths: [`/${name}`], unreadable: [], stdin: { name, stream: stdinChunks() } };
  }
  const paths = rawPaths.map((p) => resolve(p));
  for (const p of paths) {
    await access(p).catch(() => {
      throw new RozenError('InvalidArgument', `${p}: no such file or directory`);
    });
  }
  const { present, missing } = await existingPaths(await readPathLists(opts));
  if (paths.length + present.length === 0) {
    const why = lists.length > 0 ? 'none of the listed paths exists' : 'give paths to back up, --files-from or --stdin';
    throw new RozenError('InvalidArgument', why);
  }
  return { ...choices, paths: recordedPaths([...paths, ...present]), unreadable: missing };
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('back up files and directories into a new snapshot')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .argument('[path...]', 'files or directories to back up (with, or instead of, --files-from*; none with --stdin)')
    .option('--tag <tag>', 'add a tag to the snapshot (repeatable)', collect, [])
    .option('--host <host>', "record this host name instead of the machine's")
    .option('--exclude <glob>', 'skip paths matching the glob (repeatable); without "/" it matches any name', collect, [])
    .option('--exclude-file <file>', 'read exclude globs from a file, one per line (repeatable)', collect, [])
    .option('--one-file-system', 'do not cross filesystem boundaries below each path')
    .option('--exclude-caches', 'back up only the CACHEDIR.TAG file of directories holding a valid one (https://bford.info/cachedir/)')
    .option(
      '--exclude-if-present <name[:header]>',
      'back up only the file NAME of directories holding one (that begins with HEADER, if given) (repeatable)',
      collect,
      [],
    )
    .option('--exclude-larger-than <size>', 'skip files larger than SIZE (bytes, or with a unit: 1K, 10M, 2G, 1T)')
    .option(
      '--files-from <file>',
      'back up the paths listed in FILE, one a line; blank lines and #-comments are skipped; "-" reads stdin (repeatable)',
      collect,
      [],
    )
    .option(
      '--files-from-verbatim <file>',
      'like --files-from, but every non-empty line is a path as it is (no comments, no trimming) (repeatable)',
      collect,
      [],
    )
    .option(
      '--files-from-raw <file>',
      'back up the paths listed in FILE separated by NUL bytes, as find -print0 writes them: any name, newlines included (repeatable)',
      collect,
      [],
    )
    .option('--stdin', 'back up what is read from stdin as one file (e.g. pg_dump db | rozen backup REPO --stdin)')
    .option('--stdin-filename <name>', 'the name of the --stdin file in the snapshot, recorded as /NAME', 'stdin')
    .option('-n, --dry-run', 'read and hash as usual, write nothing to the repository, and report what would be added')
    .addOption(
      new Option('--compression <mode>', 'zstd compression: auto skips data that does not shrink')
        .choices(['auto', 'off', 'max'])
        .default('auto'),
    )
    .option('--parent <snapshot>', 'compare with this snapshot instead of the latest one of the same host and paths')
    .option('--quiet', 'print nothing but errors')
    .option('--json', 'print newline-delimited JSON status and a summary')
    .action(async (url: string, rawPaths: string[], opts: BackupOpts, cmd: Command) => {
      const plan = await planOf(rawPaths, opts);
      // The disk is scanned while the repository opens; the walk waits, bounded, for the backup to take it.
      const walk = plan.stdin ? undefined : startWalk({ ...walkChoices(plan, opts), paths: plan.paths });
      try {
        await backupInto(url, cmd, plan, opts, walk);
      } finally {
        walk?.stop();
      }
    });
}

/** process.stdin's chunks; a read error names stdin (it has no path for the message otherwise). */
async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of process.stdin) yield chunk as Buffer;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw Object.assign(new Error(`cannot read stdin: ${code}`), { code, path: 'stdin' });
  }
}

/** The options the walk is started with, and the backup given (they must be the same). */
function walkChoices(plan: Plan, opts: BackupOpts): Pick<BackupOptions, 'exclude' | 'oneFileSystem' | 'excludeLargerThan' | 'tagFiles'> {
  return {
    ...(plan.exclude && { exclude: plan.exclude }),
    ...(opts.oneFileSystem && { oneFileSystem: true }),
    ...(plan.excludeLargerThan !== undefined && { excludeLargerThan: plan.excludeLargerThan }),
    tagFiles: plan.tagFiles,
  };
}

async function backupInto(url: string, cmd: Command, plan: Plan, opts: BackupOpts, walk: WalkAhead | undefined): Promise<void> {
  const paths = plan.paths;
  await withRepo(url, cmd, async (repo) => {
    const host = opts.host ?? hostname();
    // The parent is looked up while the lock is taken (both wait on the repository), and awaited under it.
    const parentLookup = pickParent(repo, host, paths, opts.parent);
    parentLookup.catch(() => undefined); // a failure is reported where it is awaited
    let progress: ReturnType<typeof backupProgress> | undefined;
    const interrupted = opts.dryRun
      ? 'interrupted: nothing was written (dry run)'
      : 'interrupted: finished packs were kept and indexed, no snapshot was written';
    await underLock(repo, { exclusive: false, interrupted, progress: { stop: () => progress?.stop() } }, async (signal) => {
      const parent = await parentLookup;
      progress = backupProgress(progressMode(opts), parent?.summary?.['bytes_total'] ?? 0);
      const result = await runBackup(repo, {
        paths,
        tags: opts.tag,
        hostname: host,
        ...walkChoices(plan, opts),
        ...(opts.dryRun && { dryRun: true }),
        ...(plan.stdin && { stdin: plan.stdin }),
        unreadable: plan.unreadable,
        compression: opts.compression,
        ...(parent && { parent }),
        progress,
        signal,
        ...(walk && { walk }),
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
          snapshot_id: result.snapshotId ?? null,
          parent: parent?.id ?? null,
          dry_run: opts.dryRun === true,
        });
      } else if (!opts.quiet) {
        out(`files: ${c.filesNew} new, ${c.filesChanged} changed, ${c.filesUnmodified} unmodified; ${c.dirs} directories`);
        const added = result.snapshotId ? 'added' : 'would add';
        out(
          `read ${formatBytes(c.bytesRead)} of ${formatBytes(c.bytesTotal)}, ${added} ${formatBytes(c.bytesAdded)} to the repository in ${result.seconds.toFixed(1)} s`,
        );
        out(result.snapshotId ? `snapshot ${shortId(result.snapshotId)} saved` : 'dry run: nothing was written to the repository');
      }
      if (c.errors > 0) {
        warn(`${c.errors} file(s) could not be read${opts.dryRun ? '' : '; the snapshot holds everything else'}`);
        process.exitCode = 3;
      }
    });
  });
}
