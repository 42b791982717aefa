/** A resolved path of the mount: a top-level directory, a `latest` link, or a node of a snapshot. */
import type { BlobId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import type { DirListing } from './dir-listing.js';

export interface VirtualDir {
  readonly kind: 'vdir';
  readonly ino: number;
  /** Path components below the mount root, e.g. ["hosts", "h1"]. */
  readonly path: readonly string[];
  /** Under /history: the path in the snapshots it stands for, as raw names (see history-dirs.ts). */
  readonly history?: readonly Buffer[];
}

export interface VirtualLink {
  readonly kind: 'vlink';
  readonly ino: number;
  readonly target: string;
}

export interface TreeEntry {
  readonly kind: 'node';
  readonly ino: number;
  readonly snapshot: Snapshot;
  /** The listing holding this entry (a snapshot root has one of its own) and its position there. */
  readonly listing: DirListing;
  readonly index: number;
  /** The tree of `listing`, for entries of a directory (absent for roots). */
  readonly listedIn?: BlobId;
}

export type FsEntry = VirtualDir | VirtualLink | TreeEntry;
