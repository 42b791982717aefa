/** Which snapshots a keep policy keeps, and why (restic's rules), per host and path set. */
import type { Snapshot } from '../core/snapshot.js';
import { subtractDuration, type Duration } from './duration.js';

export interface KeepPolicy {
  /** Counts; a negative count means "all". */
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  /** Keep everything within this span before the group's newest snapshot. */
  readonly within?: Duration;
  /** Keep every snapshot carrying any of these tags. */
  readonly tags?: readonly string[];
}

export interface Kept {
  readonly snapshot: Snapshot;
  readonly reasons: readonly string[];
}

export interface PolicyResult {
  readonly keep: readonly Kept[];
  readonly remove: readonly Snapshot[];
}

export interface SnapshotGroup {
  readonly hostname: string;
  readonly paths: readonly string[];
  /** Oldest first. */
  readonly snapshots: readonly Snapshot[];
}

type Bucket = (d: Date) => string;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
  const week = Math.ceil(((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${pad(week)}`;
}

const BUCKETS: readonly [keyof KeepPolicy, string, Bucket][] = [
  ['hourly', 'hourly snapshot', (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}`],
  ['daily', 'daily snapshot', (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`],
  ['weekly', 'weekly snapshot', isoWeek],
  ['monthly', 'monthly snapshot', (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}`],
  ['yearly', 'yearly snapshot', (d) => `${d.getFullYear()}`],
];

export function isEmptyPolicy(p: KeepPolicy): boolean {
  return p.last === undefined && p.within === undefined && (p.tags?.length ?? 0) === 0 && BUCKETS.every(([k]) => p[k] === undefined);
}

/** Groups by hostname and sorted path set; groups and their snapshots oldest first. */
export function groupSnapshots(snapshots: readonly Snapshot[]): SnapshotGroup[] {
  const groups = new Map<string, { hostname: string; paths: string[]; snapshots: Snapshot[] }>();
  for (const s of snapshots) {
    const paths = [...s.paths].sort();
    const key = JSON.stringify([s.hostname, paths]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { hostname: s.hostname, paths, snapshots: [] }));
    g.snapshots.push(s);
  }
  for (const g of groups.values()) g.snapshots.sort(byTime);
  return [...groups.values()];
}

const byTime = (a: Snapshot, b: Snapshot): number => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Applies the policy to one group: the newest snapshot of each of the last N buckets is kept, and so on. */
export function applyPolicy(snapshots: readonly Snapshot[], policy: KeepPolicy): PolicyResult {
  const newestFirst = [...snapshots].sort(byTime).reverse();
  const reasons = new Map<Snapshot, string[]>(newestFirst.map((s) => [s, []]));
  const add = (s: Snapshot, why: string): void => void reasons.get(s)?.push(why);
  const limit = (n: number | undefined): number => (n === undefined ? 0 : n < 0 ? Infinity : n);
  newestFirst.slice(0, Math.min(newestFirst.length, limit(policy.last))).forEach((s) => add(s, 'last snapshot'));
  for (const [key, why, bucket] of BUCKETS) {
    let left = limit(policy[key] as number | undefined);
    let lastBucket: string | undefined;
    for (const s of newestFirst) {
      if (left <= 0) break;
      const b = bucket(new Date(s.time));
      if (b === lastBucket) continue;
      lastBucket = b;
      add(s, why);
      left--;
    }
  }
  keepWithin(newestFirst, policy.within, add);
  for (const s of newestFirst) {
    const tag = s.tags.find((t) => policy.tags?.includes(t));
    if (tag !== undefined) add(s, `tagged ${tag}`);
  }
  const keep = newestFirst.filter((s) => (reasons.get(s)?.length ?? 0) > 0).map((s) => ({ snapshot: s, reasons: reasons.get(s) ?? [] }));
  return { keep: keep.reverse(), remove: newestFirst.filter((s) => reasons.get(s)?.length === 0).reverse() };
}

function keepWithin(newestFirst: readonly Snapshot[], within: Duration | undefined, add: (s: Snapshot, why: string) => void): void {
  const newest = newestFirst[0];
  if (within === undefined || newest === undefined) return;
  const since = subtractDuration(new Date(newest.time), within).getTime();
  for (const s of newestFirst) if (new Date(s.time).getTime() >= since) add(s, 'within');
}
