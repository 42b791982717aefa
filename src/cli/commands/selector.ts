/** Options that narrow `latest`: --host, --tag, --path. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { SnapshotFilter } from '../../repo/snapshots.js';

export interface SelectorOpts {
  readonly host?: string;
  readonly tag: string[];
  readonly path: string[];
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `scope` 'all': the options narrow every snapshot a command goes through, not only `latest`. */
export function selectorOptions(cmd: Command, scope: 'latest' | 'all' = 'latest'): Command {
  const what = scope === 'latest' ? 'with latest: the newest snapshot' : 'only snapshots (and latest)';
  return cmd
    .option('--host <host>', `${what} of this host`)
    .option('--tag <tag>', `${what} with this tag (repeatable)`, collect, [])
    .option('--path <path>', `${what} of this path (repeatable)`, collect, []);
}

export function snapshotFilter(o: SelectorOpts): SnapshotFilter {
  return { host: o.host, tags: o.tag, paths: o.path.map((p) => resolve(p)) };
}

/** --host/--tag/--path for commands that change many snapshots: they narrow `latest`, or pick among all when no id is given. */
export function selectionOptions(cmd: Command): Command {
  return cmd
    .argument('[snapshot...]', 'snapshot ids, unique prefixes or latest; none: every snapshot matching --host/--tag/--path')
    .option('--host <host>', 'only snapshots of this host (with ids given: narrows latest)')
    .option('--tag <tag>', 'only snapshots with this tag (repeatable: all must match; with ids given: narrows latest)', collect, [])
    .option('--path <path>', 'only snapshots of this path (repeatable: all must match; with ids given: narrows latest)', collect, []);
}
