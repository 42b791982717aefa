/** `rozen history <repo> <path>`: the versions of one path across the snapshots (table or JSON). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { RozenError } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import type { Snapshot } from '../../core/snapshot.js';
import { listSnapshots, matchesFilter } from '../../repo/snapshots.js';
import { secondsName, versionNames, type PathVersion } from '../../snapshot/history.js';
import { pathHistory, pathParts } from '../../snapshot/path-history.js';
import { RepoSnapshotSource } from '../../snapshot/repo-source.js';
import { withRepo } from '../context.js';
import { formatBytes, json, out } from '../output.js';
import { snapshotFilter, type SelectorOpts } from './selector.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

interface HistoryOpts extends SelectorOpts {
  readonly json?: boolean;
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description(
      'list the versions of PATH across the snapshots that backed it up, oldest first: consecutive snapshots holding the same ' +
        'content (type, size, chunks, link target) and metadata (mode, uid/gid, mtime) are one version; each says whether its ' +
        'content changed or only its metadata ("added" when the path was absent before); the mount shows the same under /history',
    )
    .argument('<repo>')
    .argument('<path>', 'the path as backed up (absolute; a relative path is taken from the current directory)')
    .option('--json', 'print a JSON array')
    .option('--host <host>', 'only snapshots of this host')
    .option('--tag <tag>', 'only snapshots with this tag (repeatable: all must match)', collect, [])
    .option('--path <path>', 'only snapshots of this backed-up path (repeatable: all must match)', collect, [])
    .action(async (url: string, path: string, opts: HistoryOpts, cmd: Command) => {
      const target = resolve(path);
      const parts = pathParts(target);
      if (parts.length === 0) throw new RozenError('InvalidArgument', 'give a path below / (a file or directory that was backed up)');
      await withRepo(url, cmd, async (repo) => {
        const snaps = (await listSnapshots(repo)).filter((s) => matchesFilter(s, snapshotFilter(opts)));
        // Trees through pack windows, as the mount reads them: a tree pack is fetched once for all its trees.
        const source = new RepoSnapshotSource(repo);
        const versions = await pathHistory((id) => source.loadTree(id), snaps, target).finally(() => source.close());
        if (versions.length === 0) throw new RozenError('NotFound', `${target} is in none of the ${snaps.length} snapshot(s) selected`);
        const names = versionNames(parts.at(-1) as Buffer, versions).map((n) => n.toString('utf8'));
        if (opts.json === true) return json(versions.map((v, i) => versionJson(v, names[i] as string)));
        printTable(target, versions);
      });
    });
}

function versionJson(v: PathVersion<Snapshot>, name: string): Record<string, unknown> {
  const first = v.snapshots[0] as Snapshot;
  const last = v.snapshots.at(-1) as Snapshot;
  const n = v.node;
  return {
    name,
    change: v.change,
    first: first.time,
    last: last.time,
    snapshots: v.snapshots.length,
    short_ids: v.snapshots.map((s) => shortId(s.id)),
    type: n.type,
    size: n.size,
    mode: n.mode,
    uid: n.uid,
    gid: n.gid,
    mtime: new Date(Number(n.mtimeNs / 1_000_000n)).toISOString(),
    content: n.content ?? [],
  };
}

function printTable(target: string, versions: readonly PathVersion<Snapshot>[]): void {
  out('First                Last                 Snaps  Size        Change         Snapshots');
  for (const v of versions) {
    const first = v.snapshots[0] as Snapshot;
    const last = v.snapshots.at(-1) as Snapshot;
    const ids = v.snapshots.map((s) => shortId(s.id));
    const shown = ids.length > 4 ? `${ids.slice(0, 2).join(' ')} ... ${ids.slice(-2).join(' ')}` : ids.join(' ');
    const change = v.change === 'metadata' ? 'metadata only' : v.change;
    const when = (s: Snapshot): string => secondsName(s.time).replace('T', ' ');
    out(
      `${when(first)}  ${when(last)}  ${String(v.snapshots.length).padStart(5)}  ${formatBytes(v.node.size).padEnd(10)}  ${change.padEnd(13)}  ${shown}`,
    );
  }
  out(`${versions.length} version(s) of ${target}`);
}
