/** What the mount needs from a repository: snapshots, trees and data blobs (defined here, by its consumer). */
import type { BlobId } from '../core/ids.js';
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../core/snapshot.js';

/** Blobs stored one after another, opened together, and the id of the blob stored after them. */
export interface BlobRun {
  readonly blobs: readonly (readonly [BlobId, Uint8Array])[];
  readonly next?: BlobId;
}

export interface SnapshotSource {
  /** All snapshots, cheap to call repeatedly (the implementation lists the repository). */
  listSnapshots(): Promise<Snapshot[]>;
  /** A directory's entries, sorted by name bytes. */
  loadTree(id: BlobId): Promise<readonly Node[]>;
  /** Plaintext of a data blob (one ranged GET + decrypt + decompress inside). */
  readBlob(id: BlobId): Promise<Uint8Array>;
  /**
   * Optional: blob `id` first, with the blobs stored after it, up to about `maxBytes` of plaintext,
   * where that costs no more fetching (small files are stored in the order a copy reads them). The
   * plaintexts are views of one new buffer, which the source does not touch once it has answered.
   */
  readRun?(id: BlobId, maxBytes: number): Promise<BlobRun>;
}
