/** `rozen prune <repo>`: delete what no snapshot references; repack packs that are mostly dead. */
import type { Command } from 'commander';
import { unexpectedObject } from '../../backend/format-names.js';
import { invalidArgument } from '../../core/errors.js';
import { durationMs, parseDuration } from '../../lifecycle/duration.js';
import { DEFAULT_GRACE_MS, DEFAULT_MAX_UNUSED, prune, type PruneOptions, type PruneReport } from '../../lifecycle/prune.js';
import { acquireLock } from '../../repo/lock.js';
import type { Repository } from '../../repo/repository.js';
import { withRepo } from '../context.js';
import { formatBytes, out, warn } from '../output.js';

interface PruneCliOpts {
  readonly maxUnused: string;
  readonly grace?: string;
  readonly dryRun?: boolean;
}

export function parsePercent(text: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text);
  const v = m ? Number(m[1]) : NaN;
  if (!(v >= 0 && v <= 100)) throw invalidArgument(`invalid percentage "${text}" (use e.g. 10%)`);
  return v / 100;
}

export function pruneOptions(opts: PruneCliOpts): PruneOptions {
  return {
    maxUnused: parsePercent(opts.maxUnused),
    graceMs: opts.grace === undefined ? DEFAULT_GRACE_MS : durationMs(parseDuration(opts.grace)),
    ...(opts.dryRun && { dryRun: true }),
  };
}

export function printPruneReport(r: PruneReport): void {
  const would = r.dryRun ? 'would ' : '';
  out(`${r.snapshots} snapshot(s) reference ${r.liveBlobs} blob(s); ${r.packsBefore} pack(s), ${formatBytes(r.bytesBefore)} stored`);
  out(
    `${would}delete ${r.packsDeleted} pack(s) with nothing live (${r.orphansDeleted} not in any index), ${r.tmpDeleted} unfinished upload(s)`,
  );
  out(
    `${would}repack ${r.packsRepacked} pack(s): copy ${r.blobsCopied} live blob(s), ${formatBytes(r.bytesWritten)}${r.dryRun ? '' : ` into ${r.packsWritten} new pack(s)`}`,
  );
  if (!r.dryRun && r.indexFilesWritten + r.indexFilesDeleted > 0)
    out(`rewrote the index: ${r.indexFilesWritten} file(s) written, ${r.indexFilesDeleted} removed`);
  if (r.youngKept > 0) out(`kept ${r.youngKept} unindexed pack(s) younger than the grace period`);
  if (r.lostPacks > 0) out(`dropped ${r.lostPacks} missing pack(s) from the index (none held live data)`);
  out(`${r.dryRun ? 'would reclaim' : 'reclaimed'} ${formatBytes(Math.max(0, r.reclaimed))}`);
  for (const name of r.unexpected) warn(unexpectedObject(name));
}

/** Prune under an exclusive lock the caller already holds. */
export async function runPrune(repo: Repository, opts: PruneCliOpts): Promise<void> {
  printPruneReport(await prune(repo, pruneOptions(opts)));
}

export function addPruneOptions(cmd: Command): Command {
  return cmd
    .option('--max-unused <percent>', 'repack packs with more than this share unused', `${DEFAULT_MAX_UNUSED * 100}%`)
    .option('--grace <duration>', 'keep unindexed packs and unfinished uploads younger than this (e.g. 1h, 2d)');
}

export function registerPrune(program: Command): void {
  const cmd = program
    .command('prune')
    .description('delete data no snapshot references and repack mostly unused packs')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix');
  addPruneOptions(cmd)
    .option('--dry-run', 'only print what would be done')
    .action(async (url: string, opts: PruneCliOpts, c: Command) => {
      pruneOptions(opts);
      await withRepo(url, c, async (repo) => {
        const lock = await acquireLock(repo, true);
        try {
          await runPrune(repo, opts);
        } finally {
          await lock.release();
        }
      });
    });
}
