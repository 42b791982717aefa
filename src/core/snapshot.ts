/** A snapshot record: what one backup run produced. */
import type { BlobId, SnapshotId } from './ids.js';

export interface SnapshotRecord {
  /** Time of the backup, ISO 8601 with milliseconds, UTC. */
  readonly time: string;
  readonly hostname: string;
  readonly username: string;
  /** Absolute paths as given on the command line (normalised). */
  readonly paths: readonly string[];
  readonly tags: readonly string[];
  /** Root tree: a synthetic directory whose entries are the backed-up paths (see FORMAT §9). */
  readonly tree: BlobId;
  readonly parent?: SnapshotId;
  readonly summary?: Readonly<Record<string, number>>;
  /** Set by `tag`, `rewrite`, `repair snapshots` and `copy`: the record this one stems from (the first of a chain). */
  readonly original?: SnapshotId;
  /** Set by `copy`: the exact record it copied (in the source repository), so a rewritten source record is copied again. */
  readonly copiedFrom?: SnapshotId;
}

export interface Snapshot extends SnapshotRecord {
  readonly id: SnapshotId;
}
