/** `rozen forget <repo> [ID...]`: remove snapshots by id or by a keep policy, optionally pruning afterwards. */
import type { Command } from 'commander';
import { invalidArgument } from '../../core/errors.js';
import { parseDuration } from '../../lifecycle/duration.js';
import { forget, type ForgetResult } from '../../lifecycle/forget.js';
import type { KeepPolicy } from '../../lifecycle/forget-policy.js';
import { acquireLock } from '../../repo/lock.js';
import type { Snapshot } from '../../core/snapshot.js';
import { withRepo } from '../context.js';
import { out } from '../output.js';
import { addPruneOptions, pruneOptions, runPrune } from './prune.js';
import { shortId } from '../../core/ids.js';

interface ForgetCliOpts {
  readonly keepLast?: string;
  readonly keepHourly?: string;
  readonly keepDaily?: string;
  readonly keepWeekly?: string;
  readonly keepMonthly?: string;
  readonly keepYearly?: string;
  readonly keepWithin?: string;
  readonly keepTag: string[];
  readonly host?: string;
  readonly tag: string[];
  readonly dryRun?: boolean;
  readonly prune?: boolean;
  readonly maxUnused: string;
  readonly grace?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function count(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text) || Number(text) < -1) throw invalidArgument(`${flag} needs a count (or -1 for all), got "${text}"`);
  return Number(text);
}

export function policyOf(o: ForgetCliOpts): KeepPolicy {
  const entries: [keyof KeepPolicy, number | undefined][] = [
    ['last', count(o.keepLast, '--keep-last')],
    ['hourly', count(o.keepHourly, '--keep-hourly')],
    ['daily', count(o.keepDaily, '--keep-daily')],
    ['weekly', count(o.keepWeekly, '--keep-weekly')],
    ['monthly', count(o.keepMonthly, '--keep-monthly')],
    ['yearly', count(o.keepYearly, '--keep-yearly')],
  ];
  return {
    ...Object.fromEntries(entries.filter(([, v]) => v !== undefined)),
    ...(o.keepWithin !== undefined && { within: parseDuration(o.keepWithin) }),
    ...(o.keepTag.length > 0 && { tags: o.keepTag }),
  };
}

const line = (s: Snapshot, extra = ''): string =>
  `  ${shortId(s.id)}  ${s.time.replace('T', ' ').slice(0, 19)}  ${s.hostname}  ${s.tags.join(',') || '-'}  ${s.paths.join(' ')}${extra}`;

function printForget(r: ForgetResult, dryRun: boolean): void {
  const verb = dryRun ? 'would remove' : 'removed';
  if (r.byId.length > 0) {
    out(`${verb} ${r.byId.length} snapshot(s) named on the command line:`);
    r.byId.forEach((s) => out(line(s)));
  }
  for (const g of r.groups) {
    out(`snapshots of host ${g.hostname}, paths ${g.paths.join(' ')}:`);
    out(`keep ${g.keep.length} snapshot(s):`);
    g.keep.forEach((k) => out(line(k.snapshot, `  (${k.reasons.join(', ')})`)));
    out(`${verb === 'removed' ? 'remove' : verb} ${g.remove.length} snapshot(s):`);
    g.remove.forEach((s) => out(line(s)));
  }
  out(`${r.removed.length} snapshot(s) ${verb}`);
}

export function registerForget(program: Command): void {
  const cmd = program
    .command('forget')
    .description('remove snapshots by id or by a keep policy (per host and path set); data goes with prune')
    .argument('<repo>', 'repository: a directory path or s3://bucket/prefix')
    .argument('[id...]', 'snapshots to remove (ids or unique prefixes)')
    .option('--keep-last <n>', 'keep the n newest snapshots')
    .option('--keep-hourly <n>', 'keep the newest snapshot of each of the last n hours that have one')
    .option('--keep-daily <n>', 'keep the newest snapshot of each of the last n days that have one')
    .option('--keep-weekly <n>', 'keep the newest snapshot of each of the last n weeks that have one')
    .option('--keep-monthly <n>', 'keep the newest snapshot of each of the last n months that have one')
    .option('--keep-yearly <n>', 'keep the newest snapshot of each of the last n years that have one')
    .option('--keep-within <duration>', 'keep snapshots newer than this before the newest one (e.g. 1y2m3d4h)')
    .option('--keep-tag <tag>', 'keep snapshots with this tag (repeatable)', collect, [])
    .option('--host <host>', 'only consider snapshots of this host')
    .option('--tag <tag>', 'only consider snapshots with this tag (repeatable: all must match)', collect, [])
    .option('--dry-run', 'only print what would be removed')
    .option('--prune', 'run prune afterwards');
  addPruneOptions(cmd).action(async (url: string, ids: string[], opts: ForgetCliOpts, c: Command) => {
    const policy = policyOf(opts);
    if (opts.prune) pruneOptions(opts);
    await withRepo(url, c, async (repo) => {
      const lock = await acquireLock(repo, true);
      try {
        const dryRun = opts.dryRun === true;
        const r = await forget(repo, { ids, policy, host: opts.host, tags: opts.tag, dryRun });
        printForget(r, dryRun);
        if (opts.prune) await runPrune(repo, { maxUnused: opts.maxUnused, ...(opts.grace !== undefined && { grace: opts.grace }), dryRun });
      } finally {
        await lock.release();
      }
    });
  });
}
