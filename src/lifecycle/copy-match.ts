/** When a destination snapshot is the copy of a source snapshot (restic's rule, plus the record it was made from). */
import type { SnapshotId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';

/** The id a snapshot is known by across copies (restic's "original"). */
export const originalOf = (s: Snapshot): SnapshotId => s.original ?? s.id;

/**
 * Whether `copy` is a copy of `source`: the same original and the same record, but for the tree, parent and
 * summary; and, when the copy names the record it was made from, that record, unless the source is the first
 * record of the chain (a copy of a copy of it is still its copy). A rewrite or repair of the source keeps its
 * original, time, paths and tags but changes its tree (a new record): a copy of the record it replaced is out of date.
 */
export function isCopyOf(copy: Snapshot, source: Snapshot): boolean {
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  return (
    originalOf(copy) === originalOf(source) &&
    (copy.copiedFrom === undefined || copy.copiedFrom === source.id || source.id === originalOf(copy)) &&
    copy.time === source.time &&
    copy.hostname === source.hostname &&
    copy.username === source.username &&
    same(copy.paths, source.paths) &&
    same(copy.tags, source.tags)
  );
}
