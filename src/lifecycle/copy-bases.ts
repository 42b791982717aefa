/**
 * Which earlier copy a snapshot's copy starts from: the source snapshots the destination holds copies of, each
 * with its copy's tree. The nearest is the snapshot's parent when that was copied, else the latest one (at or
 * before it) of the same host and paths, else of the same host.
 */
import type { BlobId, SnapshotId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import type { TreePair } from './copy-base.js';
import { isCopyOf, originalOf } from './copy-match.js';

interface Copied {
  readonly source: Snapshot;
  readonly tree: BlobId;
}

const samePaths = (a: Snapshot, b: Snapshot): boolean => a.paths.length === b.paths.length && a.paths.every((p, i) => p === b.paths[i]);

export class CopyBases {
  readonly #copied = new Map<SnapshotId, Copied>();

  /** `sources`: the source's snapshots; `copies`: the destination's, some of them copies of those. */
  constructor(sources: readonly Snapshot[], copies: readonly Snapshot[]) {
    const byId = new Map(sources.map((s) => [s.id, s]));
    for (const c of copies) {
      const s = byId.get(c.copiedFrom ?? originalOf(c)) ?? byId.get(originalOf(c));
      if (s && isCopyOf(c, s)) this.#copied.set(s.id, { source: s, tree: c.tree });
    }
  }

  /** Source snapshot `source` was copied with tree `tree`. */
  add(source: Snapshot, tree: BlobId): void {
    this.#copied.set(source.id, { source, tree });
  }

  nearest(snap: Snapshot): TreePair | undefined {
    const parent = snap.parent === undefined ? undefined : this.#copied.get(snap.parent);
    const c = parent ?? this.#latest(snap, (s) => samePaths(s, snap)) ?? this.#latest(snap, () => true);
    return c && { src: c.source.tree, dst: c.tree };
  }

  #latest(snap: Snapshot, also: (s: Snapshot) => boolean): Copied | undefined {
    let best: Copied | undefined;
    for (const c of this.#copied.values()) {
      const s = c.source;
      if (s.hostname !== snap.hostname || s.time > snap.time || !also(s)) continue;
      if (!best || s.time > best.source.time) best = c;
    }
    return best;
  }
}
