/** tag: add, remove or set the tags of snapshots, each changed snapshot replaced by a new record. */
import { invalidArgument } from '../core/errors.js';
import type { SnapshotId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import type { Repository } from '../repo/repository.js';
import { replaceSnapshot } from '../repo/snapshots.js';

export interface TagChange {
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
  /** The exact tags to give; not together with add or remove. */
  readonly set?: readonly string[];
}

export interface TagResult {
  readonly old: SnapshotId;
  readonly before: readonly string[];
  readonly after: readonly string[];
  /** Whether the tags differ (as a set): only then is the snapshot replaced. */
  readonly changed: boolean;
  /** The new record; absent when the tags stay as they are, or on a dry run. */
  readonly replacement?: SnapshotId;
}

/** Rejects a change that says nothing, mixes --set with --add/--remove, or adds or removes an empty tag. */
export function checkTagChange(c: TagChange): void {
  const addRemove = [...(c.add ?? []), ...(c.remove ?? [])];
  if (c.set === undefined && addRemove.length === 0) throw invalidArgument('nothing to do: give --add, --remove or --set');
  if (c.set !== undefined && addRemove.length > 0) throw invalidArgument('--set cannot be combined with --add or --remove');
  if (addRemove.some((t) => t === '')) throw invalidArgument('a tag cannot be empty');
}

/** The tags after the change, in order, each once: kept ones first, then added ones. An empty `set` tag clears. */
export function applyTagChange(tags: readonly string[], c: TagChange): string[] {
  const base = c.set?.filter((t) => t !== '') ?? tags.filter((t) => !(c.remove ?? []).includes(t));
  return [...new Set([...base, ...(c.add ?? [])])];
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((t) => b.includes(t));

/** Changes each snapshot whose tags differ afterwards (as a set); the others are left alone. */
export async function tagSnapshots(repo: Repository, snaps: readonly Snapshot[], c: TagChange, dryRun = false): Promise<TagResult[]> {
  checkTagChange(c);
  const results: TagResult[] = [];
  for (const s of snaps) {
    const after = applyTagChange(s.tags, c);
    const r = { old: s.id, before: s.tags, after, changed: !sameSet(s.tags, after) };
    if (!r.changed || dryRun) results.push(r);
    else results.push({ ...r, replacement: await replaceSnapshot(repo, s, { tags: after }) });
  }
  return results;
}
