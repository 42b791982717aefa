/** `rozen rewrite <repo> [snapshot...] --exclude GLOB`: drop paths from existing snapshots (their data goes with prune). */
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import { rewriteSnapshots, type RewriteResult } from '../../lifecycle/rewrite.js';
import { acquireLock } from '../../repo/lock.js';
import { findSnapshots } from '../../repo/snapshots.js';
import { withRepo } from '../context.js';
import { excludeMatcher, readExcludeFiles } from '../excludes.js';
import { json, out } from '../output.js';
import { selectionOptions, snapshotFilter, type SelectorOpts } from './selector.js';

interface RewriteOpts extends SelectorOpts {
  readonly exclude: string[];
  readonly excludeFile: string[];
  readonly dryRun?: boolean;
  readonly keepOld?: boolean;
  readonly json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function printRewrite(results: readonly RewriteResult[], o: RewriteOpts): void {
  if (o.json) {
    const row = (r: RewriteResult): Record<string, unknown> => ({
      id: r.old,
      removed: r.removed,
      ...(r.replacement && { new_id: r.replacement }),
    });
    return json(results.map(row));
  }
  const changed = results.filter((r) => r.removed.length > 0);
  for (const r of changed) {
    const fate = r.replacement ? `replaced by ${shortId(r.replacement)}${o.keepOld ? ' (old record kept)' : ''}` : 'would be rewritten';
    out(`snapshot ${shortId(r.old)}: ${fate}`);
    for (const p of r.removed) out(`  ${o.dryRun ? 'would remove' : 'removed'} ${p}`);
  }
  out(`${changed.length} snapshot(s) ${o.dryRun ? 'would be ' : ''}rewritten, ${results.length - changed.length} left as they were`);
}

export function registerRewrite(program: Command): void {
  selectionOptions(
    program
      .command('rewrite')
      .description(
        'remove paths from existing snapshots: each affected snapshot is written as a new record (naming the old one as "original"), then the old record is removed; run prune afterwards to free the data',
      )
      .argument('<repo>', 'repository: a directory path or s3://bucket/prefix'),
  )
    .option('--exclude <glob>', 'remove matching paths, as backup --exclude matches them (repeatable)', collect, [])
    .option('--exclude-file <file>', 'read exclude patterns from a file, one per line (repeatable)', collect, [])
    .option('--dry-run', 'only print what would be removed')
    .option('--keep-old', 'keep the old snapshot records beside the new ones')
    .option('--json', 'print a JSON array: id, removed, new_id')
    .action(async (url: string, selectors: string[], opts: RewriteOpts, c: Command) => {
      const exclude = excludeMatcher([...opts.exclude, ...(await readExcludeFiles(opts.excludeFile))]);
      if (!exclude) throw invalidArgument('nothing to do: give --exclude or --exclude-file');
      await withRepo(url, c, async (repo) => {
        const lock = await acquireLock(repo, true);
        try {
          const snaps = await findSnapshots(repo, selectors, snapshotFilter(opts));
          const results = await rewriteSnapshots(repo, snaps, { exclude, dryRun: opts.dryRun === true, keepOld: opts.keepOld === true });
          printRewrite(results, opts);
        } finally {
          await lock.release();
        }
      });
    });
}
