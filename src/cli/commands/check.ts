/** `rozen check <repo>`: verify the repository's structure, and with --read-data every stored byte. */
import type { Command } from 'commander';
import { RozenError } from '../../core/errors.js';
import { checkRepository } from '../../lifecycle/check.js';
import { parseSubset, type DataSubset } from '../../lifecycle/read-data.js';
import { acquireLock } from '../../repo/lock.js';
import { withRepo } from '../context.js';
import { out, warn } from '../output.js';

interface CheckCliOpts {
  readonly readData?: boolean;
  readonly readDataSubset?: string;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check the repository: index, packs, snapshots and trees; with --read-data, every pack')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .option('--read-data', 'read, authenticate and re-hash every blob of every pack')
    .option('--read-data-subset <subset>', 'read only a share of the packs: N% (random) or K/N (fixed group K of N)')
    .action(async (url: string, opts: CheckCliOpts, c: Command) => {
      const subset: DataSubset | undefined =
        opts.readDataSubset !== undefined ? parseSubset(opts.readDataSubset) : opts.readData ? { kind: 'all' } : undefined;
      await withRepo(url, c, async (repo) => {
        const lock = await acquireLock(repo, false);
        try {
          const r = await checkRepository(repo, {
            ...(subset && { readData: subset }),
            onProblem: (line) => out(`error: ${line}`),
            onNote: (line) => warn(line),
          });
          out(
            `checked ${r.snapshots} snapshot(s), ${r.packs} pack(s)${subset ? `; read ${r.packsRead} pack(s), ${r.blobsRead} blob(s)` : ''}`,
          );
          if (r.problems.length > 0) throw new RozenError('CorruptData', `check found ${r.problems.length} problem(s)`);
          out('no errors were found');
        } finally {
          await lock.release();
        }
      });
    });
}
