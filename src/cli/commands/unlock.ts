/** `rozen unlock <repo>`: remove stale locks (or all of them), readable or not. */
import type { Command } from 'commander';
import { isFormatName } from '../../backend/format-names.js';
import { oneLine } from '../../core/one-line.js';
import { type LockInfo, describeUnreadable, removeLocks } from '../../repo/lock.js';
import { withRepo } from '../context.js';
import { out, warn } from '../output.js';
import { shortId } from '../../core/ids.js';

function removedLine(l: LockInfo): string {
  const kind = l.exclusive ? 'exclusive' : 'shared';
  return `removed ${kind} lock ${oneLine(shortId(l.id))} of pid ${l.pid} on ${oneLine(l.hostname)} from ${new Date(l.time).toISOString()}`;
}

const keptWhy = (id: string): string =>
  isFormatName(`locks/${id}`)
    ? 'changed in the last 30 minutes; --remove-all removes it'
    : 'not a name the repository format defines: never deleted';

export function registerUnlock(program: Command): void {
  program
    .command('unlock')
    .description(
      'remove stale locks: not refreshed for 30 minutes, or left by a process of this host that is gone; unreadable ones unchanged for 30 minutes',
    )
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .option('--remove-all', 'remove every lock, even live or unreadable ones (only when nothing else uses the repository)')
    .action(async (url: string, opts: { removeAll?: boolean }, c: Command) => {
      await withRepo(url, c, async (repo) => {
        const { removed, removedUnreadable, keptUnreadable } = await removeLocks(repo, opts.removeAll === true);
        for (const l of removed) out(removedLine(l));
        for (const u of removedUnreadable) out(`removed ${describeUnreadable(u)}`);
        for (const u of keptUnreadable) warn(`kept ${describeUnreadable(u)} (${keptWhy(u.id)})`);
        out(`${removed.length + removedUnreadable.length} lock(s) removed`);
      });
    });
}
