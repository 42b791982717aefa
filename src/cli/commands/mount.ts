/** `rozen mount <repo> <mountpoint>`: every snapshot as a lazy read-only directory tree (FUSE), in the foreground. */
import type { Command } from 'commander';
import { FaultyBackend } from '../../backend/faulty.js';
import { mountSnapshots } from '../../fuse/mount.js';
import { unmountOnSignals } from '../../fuse/unmount-on-signals.js';
import type { Snapshot } from '../../core/snapshot.js';
import { acquireLock } from '../../repo/lock.js';
import { matchesFilter } from '../../repo/snapshots.js';
import { RepoSnapshotSource } from '../../snapshot/repo-source.js';
import { openRepo } from '../context.js';
import { out, warn } from '../output.js';
import { parseSize } from '../size-arg.js';
import { snapshotFilter, type SelectorOpts } from './selector.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

interface MountCliOpts extends SelectorOpts {
  readonly cacheSize: string;
  readonly allowOther?: boolean;
  readonly verifyIds?: boolean;
}

export function registerMount(program: Command): void {
  program
    .command('mount')
    .description(
      'serve the snapshots read-only at MOUNTPOINT (/snapshots/<time>, /snapshots/latest, /ids, /hosts, /tags, and /history/<path>/ ' +
        'with one entry per version of each file) until Ctrl-C or umount; --host, --tag and --path serve only the snapshots that match',
    )
    .argument('<repo>')
    .argument('<mountpoint>', 'an empty directory')
    .option('--cache-size <size>', 'memory for cached file data, e.g. 256M or 1G', '256M')
    .option('--allow-other', 'let other users access the mount (needs user_allow_other in /etc/fuse.conf for non-root)')
    .option('--host <host>', 'only snapshots of this host')
    .option('--tag <tag>', 'only snapshots with this tag (repeatable: all must match)', collect, [])
    .option('--path <path>', 'only snapshots of this backed-up path (repeatable: all must match)', collect, [])
    .option(
      '--verify-ids',
      'also re-hash every file chunk read to its blob id, as check --read-data does (more CPU; without it, each chunk is still authenticated by its tag, which covers the id)',
    )
    .action(async (url: string, mountpoint: string, opts: MountCliOpts, cmd: Command) => {
      const cacheSize = parseSize(opts.cacheSize);
      const filter = snapshotFilter(opts);
      const keep = (s: Snapshot): boolean => matchesFilter(s, filter);
      let counting: FaultyBackend | undefined;
      const wrap =
        process.env['ROZEN_STATS'] === '1'
          ? (b: import('../../backend/backend.js').Backend) => (counting = new FaultyBackend(b))
          : undefined;
      const repo = await openRepo(url, cmd, wrap);
      let closeSource = async (): Promise<void> => {};
      try {
        const lock = await acquireLock(repo, false);
        try {
          const source = new RepoSnapshotSource(repo, { verifyIds: opts.verifyIds === true });
          closeSource = () => source.close();
          const snaps = (await source.listSnapshots()).filter(keep);
          // Snapshots record how many entries had extended attributes (older ones: unknown, so yes).
          const xattrs = snaps.length === 0 || snaps.some((s) => (s.summary?.['xattrs'] ?? 1) > 0);
          const mount = await mountSnapshots(source, mountpoint, {
            xattrs,
            filter: keep,
            cacheSize,
            allowOther: opts.allowOther ?? false,
            log: (line) => warn(line),
          });
          unmountOnSignals(mount, (line) => warn(line));
          out(`serving ${repo.backend.location} at ${mount.mountpoint}; stop with Ctrl-C or \`umount ${mount.mountpoint}\``);
          await mount.closed;
        } finally {
          await lock.release();
        }
      } finally {
        if (counting) {
          const gets = counting.calls.filter((c) => c.op === 'get');
          const bytes = gets.reduce((a, c) => a + (c.range?.length ?? 0), 0);
          process.stderr.write(`rozen-stats: gets=${gets.length} bytes=${bytes}\n`);
        }
        await closeSource();
        await repo.close();
      }
    });
}
