/** The top-level directories: snapshots by time, by short id, by host and by tag. */
import type { Snapshot } from '../core/snapshot.js';
import { shortId } from '../core/ids.js';
import { secondsName } from '../snapshot/history.js';

export const LATEST = 'latest';

/** A group of snapshots by directory name, in time order. */
export type SnapshotsByName = ReadonlyMap<string, Snapshot>;

export interface SnapshotLayout {
  /** `/snapshots/<time>`: every snapshot, oldest first. */
  readonly byTime: SnapshotsByName;
  /** The directory name of each snapshot under `/snapshots`, by snapshot id. */
  readonly timeName: ReadonlyMap<string, string>;
  readonly byShortId: SnapshotsByName;
  readonly hosts: ReadonlyMap<string, SnapshotsByName>;
  readonly tags: ReadonlyMap<string, SnapshotsByName>;
  /** Time of the newest snapshot in ms (0 without snapshots), used as the top-level mtime. */
  readonly newestMs: number;
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC. */
export const timeDirName = secondsName;

export function buildLayout(snapshots: readonly Snapshot[]): SnapshotLayout {
  const sorted = [...snapshots].sort(byTimeThenId);
  const byTime = new Map<string, Snapshot>();
  const timeName = new Map<string, string>();
  for (const s of sorted) {
    const name = uniqueName(byTime, timeDirName(s.time));
    byTime.set(name, s);
    timeName.set(s.id, name);
  }
  const named = (s: Snapshot): [string, Snapshot] => [timeName.get(s.id) as string, s];
  return {
    byTime,
    timeName,
    byShortId: shortIds(sorted),
    hosts: groupBy(sorted, (s) => [s.hostname], named),
    tags: groupBy(sorted, (s) => s.tags, named),
    newestMs: sorted.length === 0 ? 0 : timeMs(sorted[sorted.length - 1] as Snapshot),
  };
}

/** The newest snapshot's name in a group (the target of its `latest` link). */
export function latestName(group: SnapshotsByName): string | undefined {
  if (group.size === 0) return undefined;
  let last = latestCache.get(group);
  if (last === undefined) {
    for (const name of group.keys()) last = name;
    latestCache.set(group, last as string);
  }
  return last;
}

/** Groups are never changed after `buildLayout`, so their newest name can be remembered. */
const latestCache = new WeakMap<SnapshotsByName, string>();

function timeMs(s: Snapshot): number {
  const ms = Date.parse(s.time);
  return Number.isNaN(ms) ? 0 : ms;
}

function byTimeThenId(a: Snapshot, b: Snapshot): number {
  return timeMs(a) - timeMs(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function uniqueName(taken: ReadonlyMap<string, unknown>, base: string): string {
  if (!taken.has(base)) return base;
  let n = 1;
  while (taken.has(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

function shortIds(sorted: readonly Snapshot[]): Map<string, Snapshot> {
  const count = new Map<string, number>();
  for (const s of sorted) {
    const short = shortId(s.id);
    count.set(short, (count.get(short) ?? 0) + 1);
  }
  const out = new Map<string, Snapshot>();
  for (const s of sorted) {
    const short = shortId(s.id);
    out.set(count.get(short) === 1 ? short : s.id, s);
  }
  return out;
}

function groupBy(
  sorted: readonly Snapshot[],
  keys: (s: Snapshot) => readonly string[],
  named: (s: Snapshot) => [string, Snapshot],
): Map<string, Map<string, Snapshot>> {
  const groups = new Map<string, Map<string, Snapshot>>();
  for (const s of sorted) {
    for (const key of new Set(keys(s))) {
      if (key === '') continue;
      const dir = componentName(key);
      const group = groups.get(dir) ?? new Map<string, Snapshot>();
      group.set(...named(s));
      groups.set(dir, group);
    }
  }
  return groups;
}

/** A host or tag as one path component: `/` and NUL written as `\x2f` and `\x00`, and `.`, `..` made safe. */
export function componentName(text: string): string {
  const escaped = text.replaceAll('/', '\\x2f').replaceAll('\0', '\\x00');
  return escaped === '.' || escaped === '..' ? escaped.replaceAll('.', '\\x2e') : escaped;
}
