/** `rozen repair index|snapshots <repo>`: rebuild the index from pack headers; drop lost parts from snapshots. */
import type { Command } from 'commander';
import { repairIndex } from '../../lifecycle/repair-index.js';
import { repairSnapshots } from '../../lifecycle/repair-snapshots.js';
import { acquireLock } from '../../repo/lock.js';
import type { Repository } from '../../repo/repository.js';
import { withRepo } from '../context.js';
import { out, warn } from '../output.js';
import { shortId } from '../../core/ids.js';

async function locked(url: string, c: Command, fn: (repo: Repository) => Promise<void>): Promise<void> {
  await withRepo(url, c, async (repo) => {
    const lock = await acquireLock(repo, true);
    try {
      await fn(repo);
    } finally {
      await lock.release();
    }
  });
}

export function registerRepair(program: Command): void {
  const repair = program.command('repair').description('repair a damaged repository');
  repair
    .command('index')
    .description('rebuild the index from the headers of the stored packs')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .action(async (url: string, _opts: unknown, c: Command) => {
      await locked(url, c, async (repo) => {
        const r = await repairIndex(repo, (line) => warn(line));
        out(`indexed ${r.packs} pack(s), ${r.blobs} blob(s): ${r.indexFilesWritten} index file(s) written, ${r.indexFilesDeleted} removed`);
        if (r.unreadable.length > 0) out(`${r.unreadable.length} pack(s) could not be read and were left out of the index`);
      });
    });
  repair
    .command('snapshots')
    .description('rewrite snapshots that reference lost data, dropping the lost files and directories')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .option('--dry-run', 'only print what would be changed')
    .option('--forget', 'remove snapshots whose root directory listing itself is lost')
    .action(async (url: string, opts: { dryRun?: boolean; forget?: boolean }, c: Command) => {
      await locked(url, c, async (repo) => {
        const results = await repairSnapshots(repo, { dryRun: opts.dryRun === true, forget: opts.forget === true });
        for (const r of results) {
          const fate = r.replacement
            ? `replaced by ${shortId(r.replacement)}`
            : r.lost
              ? opts.forget && !opts.dryRun
                ? 'removed'
                : 'cannot be repaired (use --forget to remove it)'
              : 'would be rewritten';
          out(`snapshot ${shortId(r.old)}: ${fate}`);
          for (const d of r.dropped) out(`  dropped ${d}`);
        }
        out(`${results.length} snapshot(s) ${opts.dryRun ? 'need' : 'needed'} repair`);
      });
    });
}
