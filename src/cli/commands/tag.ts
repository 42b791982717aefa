/** `rozen tag <repo> [snapshot...] --add T --remove T --set T`: change snapshots' tags (each changed one gets a new record). */
import type { Command } from 'commander';
import { shortId } from '../../core/ids.js';
import { checkTagChange, tagSnapshots, type TagChange, type TagResult } from '../../lifecycle/tag.js';
import { acquireLock } from '../../repo/lock.js';
import { findSnapshots } from '../../repo/snapshots.js';
import { withRepo } from '../context.js';
import { json, out } from '../output.js';
import { selectionOptions, snapshotFilter, type SelectorOpts } from './selector.js';

interface TagOpts extends SelectorOpts {
  readonly add: string[];
  readonly remove: string[];
  readonly set?: string[];
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];
const list = (tags: readonly string[]): string => tags.join(',') || '-';

function printTag(results: readonly TagResult[], o: TagOpts): void {
  if (o.json) {
    const row = (r: TagResult): Record<string, unknown> => ({
      id: r.old,
      tags_before: r.before,
      tags_after: r.after,
      changed: r.changed,
      ...(r.replacement && { new_id: r.replacement }),
    });
    return json(results.map(row));
  }
  const changed = results.filter((r) => r.changed);
  for (const r of changed) {
    const fate = r.replacement ? `, replaced by ${shortId(r.replacement)}` : o.dryRun ? ' (dry run)' : '';
    out(`snapshot ${shortId(r.old)}: tags ${list(r.before)} -> ${list(r.after)}${fate}`);
  }
  out(`${changed.length} snapshot(s) ${o.dryRun ? 'would be ' : ''}changed, ${results.length - changed.length} left as they were`);
}

export function registerTag(program: Command): void {
  selectionOptions(
    program
      .command('tag')
      .description(
        'add, remove or set tags of snapshots: a changed snapshot is written as a new record (with a new id, naming the old one as "original") and the old record is then removed; snapshots whose tags would not change are left alone',
      )
      .argument('<repo>', 'repository: a directory path or s3://bucket/prefix'),
  )
    .option('--add <tag>', 'add this tag (repeatable)', collect, [])
    .option('--remove <tag>', 'remove this tag (repeatable)', collect, [])
    .option('--set <tag>', 'replace all tags by these (repeatable; --set "" removes every tag; not with --add/--remove)', collect)
    .option('--dry-run', 'only print what would change')
    .option('--json', 'print a JSON array: id, tags_before, tags_after, changed, new_id')
    .action(async (url: string, selectors: string[], opts: TagOpts, c: Command) => {
      const change: TagChange = { add: opts.add, remove: opts.remove, ...(opts.set && { set: opts.set }) };
      checkTagChange(change);
      await withRepo(url, c, async (repo) => {
        const lock = await acquireLock(repo, true);
        try {
          const snaps = await findSnapshots(repo, selectors, snapshotFilter(opts));
          printTag(await tagSnapshots(repo, snaps, change, opts.dryRun === true), opts);
        } finally {
          await lock.release();
        }
      });
    });
}
