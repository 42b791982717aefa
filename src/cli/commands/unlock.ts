/** `rozen unlock <repo>`: remove stale locks (or all of them). */
import type { Command } from 'commander';
import { removeLocks } from '../../repo/lock.js';
import { withRepo } from '../context.js';
import { out } from '../output.js';

export function registerUnlock(program: Command): void {
  program
    .command('unlock')
    .description('remove stale locks: not refreshed for 30 minutes, or left by a process of this host that is gone')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .option('--remove-all', 'remove every lock, even live ones (only when nothing else uses the repository)')
    .action(async (url: string, opts: { removeAll?: boolean }, c: Command) => {
      await withRepo(url, c, async (repo) => {
        const removed = await removeLocks(repo, opts.removeAll === true);
        for (const l of removed) {
          out(`removed ${l.exclusive ? 'exclusive' : 'shared'} lock ${l.id.slice(0, 8)} of pid ${l.pid} on ${l.hostname} from ${new Date(l.time).toISOString()}`);
        }
        out(`${removed.length} lock(s) removed`);
      });
    });
}
