/** `rozen snapshots <repo>`: list snapshots (table or JSON). */
import type { Command } from 'commander';
import { RozenError } from '../../core/errors.js';
import { listSnapshots, matchesFilter } from '../../repo/snapshots.js';
import type { Snapshot } from '../../core/snapshot.js';
import { withRepo } from '../context.js';
import { formatBytes, json, out, warn } from '../output.js';
import { shortId } from '../../core/ids.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function snapshotJson(s: Snapshot): Record<string, unknown> {
  return {
    id: s.id,
    short_id: shortId(s.id),
    time: s.time,
    hostname: s.hostname,
    username: s.username,
    paths: s.paths,
    tags: s.tags,
    tree: s.tree,
    ...(s.parent && { parent: s.parent }),
    ...(s.original && { original: s.original }),
    ...(s.summary && { summary: s.summary, size: s.summary['bytes_total'] ?? 0 }),
  };
}

export function registerSnapshots(program: Command): void {
  program
    .command('snapshots')
    .description('list the snapshots in the repository, oldest first')
    .argument('<repo>')
    .option('--json', 'print a JSON array')
    .option('--host <host>', 'only snapshots of this host')
    .option('--tag <tag>', 'only snapshots with this tag (repeatable: all must match)', collect, [])
    .action(async (url: string, opts: { json?: boolean; host?: string; tag: string[] }, cmd: Command) => {
      await withRepo(url, cmd, async (repo) => {
        // An unreadable record is named and the others still listed; the exit status then says something is wrong.
        let unreadable = 0;
        const all = await listSnapshots(repo, (_id, err) => {
          unreadable++;
          warn(err.message);
        });
        printSnapshots(
          all.filter((s) => matchesFilter(s, { host: opts.host, tags: opts.tag })),
          opts.json === true,
        );
        if (unreadable > 0) throw new RozenError('CorruptData', `${unreadable} snapshot record(s) could not be read`);
      });
    });
}

function printSnapshots(snaps: readonly Snapshot[], asJson: boolean): void {
  if (asJson) return json(snaps.map(snapshotJson));
  out('ID        Time                 Host              Tags            Size        Paths');
  for (const s of snaps) {
    const size = formatBytes(s.summary?.['bytes_total'] ?? 0);
    out(
      `${shortId(s.id)}  ${s.time.slice(0, 19).replace('T', ' ')}  ${s.hostname.padEnd(16)}  ${s.tags.join(',').padEnd(14)}  ${size.padEnd(10)}  ${s.paths.join(', ')}`,
    );
  }
  out(`${snaps.length} snapshot(s)`);
}
