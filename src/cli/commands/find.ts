/** `rozen find <repo> [pattern...]`: which snapshots hold entries matching globs, or entries using given blobs. */
import type { Command } from 'commander';
import picomatch from 'picomatch';
import { RozenError, invalidArgument } from '../../core/errors.js';
import { shortId } from '../../core/ids.js';
import type { Snapshot } from '../../core/snapshot.js';
import type { Repository } from '../../repo/repository.js';
import { findSnapshot, listSnapshots, matchesFilter } from '../../repo/snapshots.js';
import { Finder, type FindHit, type FindQuery } from '../../snapshot/find.js';
import { withRepo } from '../context.js';
import { LineBuffer, json, warn } from '../output.js';
import { longLine } from '../long-line.js';
import { selectorOptions, snapshotFilter, type SelectorOpts } from './selector.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

interface FindOpts extends SelectorOpts {
  readonly snapshot: string[];
  readonly blob: string[];
  readonly json?: boolean;
  readonly ignoreCase?: boolean;
}

/** A pattern matches an entry when it matches the entry's full path or its name (as restic find does). */
export function findQuery(patterns: readonly string[], blobs: readonly string[], ignoreCase: boolean): FindQuery {
  const ms = patterns.map((p) => picomatch(p, { dot: true, nocase: ignoreCase }));
  const prefixes = blobs.map((b) => {
    const id = b.toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(id)) throw invalidArgument(`invalid blob id ${b} (give 8 to 64 hex digits)`);
    return id;
  });
  return {
    ...(ms.length > 0 && { path: (path: string, name: string) => ms.some((m) => m(path) || m(name)) }),
    // Without these characters a glob cannot match text holding a '/', so only the name decides.
    pathDependent: patterns.some((p) => /[/!^]|\*\*/.test(p)),
    blobs: prefixes,
  };
}

/** Time with nanoseconds, RFC 3339 in UTC. */
export function isoTimeNs(ns: bigint): string {
  const sec = ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n);
  const frac = ns - sec * 1_000_000_000n;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(9, '0')}Z`;
}

function hitJson(h: FindHit): Record<string, unknown> {
  const n = h.node;
  return {
    path: h.path,
    type: n.type,
    mode: n.mode,
    uid: n.uid,
    gid: n.gid,
    ...(n.user !== undefined && { user: n.user }),
    ...(n.group !== undefined && { group: n.group }),
    size: n.size,
    mtime: isoTimeNs(n.mtimeNs),
    ...(n.type === 'symlink' && n.linkTarget && { link_target: n.linkTarget.toString() }),
    ...(h.blobs.length > 0 && { blobs: h.blobs }),
  };
}

/** The snapshots to search; a record that cannot be read is named, counted in `unreadable`, and left out. */
async function selectSnapshots(repo: Repository, opts: FindOpts, unreadable: { count: number }): Promise<Snapshot[]> {
  const filter = snapshotFilter(opts);
  if (opts.snapshot.length === 0) {
    const all = await listSnapshots(repo, (_id, err) => {
      unreadable.count++;
      warn(err.message);
    });
    return all.filter((s) => matchesFilter(s, filter));
  }
  const picked = new Map<string, Snapshot>();
  for (const sel of opts.snapshot) {
    const s = await findSnapshot(repo, sel, filter);
    picked.set(s.id, s);
  }
  return [...picked.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function hitLine(h: FindHit): string {
  return `  ${longLine(h.path, h.node)}${h.blobs.length > 0 ? `  [blob ${h.blobs.map(shortId).join(' ')}]` : ''}`;
}

const snapshotJsonHead = (s: Snapshot): Record<string, unknown> => ({
  snapshot_id: s.id,
  short_id: shortId(s.id),
  time: s.time,
  hostname: s.hostname,
  paths: s.paths,
  tags: s.tags,
});

/** Search each snapshot in turn; text is printed per snapshot (and per full buffer), JSON at the end. Counts snapshots with a match. */
async function searchAll(finder: Finder, snaps: readonly Snapshot[], asJson: boolean): Promise<{ found: number; problems: number }> {
  const results: Record<string, unknown>[] = [];
  const text = new LineBuffer();
  let found = 0;
  let problems = 0;
  try {
    for (const snap of snaps) {
      const matches: Record<string, unknown>[] = [];
      let n = 0;
      const any = await finder.find(snap, {
        hit: (s, h) => {
          if (n++ === 0 && !asJson)
            text.add(`${found > 0 ? '\n' : ''}snapshot ${shortId(s.id)} of ${s.time.slice(0, 19).replace('T', ' ')} (${s.hostname}):`);
          if (asJson) matches.push(hitJson(h));
          else text.add(hitLine(h));
        },
        problem: (s, path, err) => {
          problems++;
          text.flush();
          warn(`snapshot ${shortId(s.id)}: ${path}: ${err.message}`);
        },
      });
      text.flush(); // each snapshot's matches show as soon as it is searched
      if (!any) continue;
      found++;
      if (asJson) results.push({ ...snapshotJsonHead(snap), matches });
    }
  } finally {
    text.flush();
  }
  if (asJson) json(results);
  return { found, problems };
}

async function runFind(repo: Repository, patterns: string[], opts: FindOpts): Promise<void> {
  const finder = new Finder(repo, findQuery(patterns, opts.blob, opts.ignoreCase === true));
  const unreadable = { count: 0 };
  const snaps = await selectSnapshots(repo, opts, unreadable);
  const { found, problems } = await searchAll(finder, snaps, opts.json === true);
  if (unreadable.count > 0) throw new RozenError('CorruptData', `${unreadable.count} snapshot record(s) could not be read (see above)`);
  if (problems > 0)
    throw new RozenError('CorruptData', `${problems} tree(s) could not be read (see above); their entries were not searched`);
  if (found === 0) throw new RozenError('NotFound', `nothing found in ${snaps.length} snapshot(s)`);
}

export function registerFind(program: Command): void {
  selectorOptions(
    program
      .command('find')
      .description('list the snapshots holding entries whose path or name matches a glob, or that use a given blob')
      .argument('<repo>')
      .argument('[pattern...]', 'globs (picomatch): each is matched against the full path (/home/u/a.txt) and against the name (a.txt)')
      .option('--snapshot <id>', 'search only this snapshot (id, unique prefix or latest; repeatable; default: all)', collect, [])
      .option(
        '--blob <id>',
        'also find entries using this blob: data chunks of files and directory trees (8+ hex digits; repeatable)',
        collect,
        [],
      )
      .option('-i, --ignore-case', 'match patterns regardless of case')
      .option('--json', 'print one JSON array: per snapshot with a match, its id, time, hostname, paths, tags and matches')
      .addHelpText(
        'after',
        '\nExit status: 0 when something was found, 1 when nothing was (or on an error, with a line saying which), 2 for bad arguments.',
      ),
    'all',
  ).action(async (url: string, patterns: string[], opts: FindOpts, cmd: Command) => {
    if (patterns.length === 0 && opts.blob.length === 0) throw invalidArgument('give a pattern or --blob');
    await withRepo(url, cmd, (repo) => runFind(repo, patterns, opts));
  });
}
