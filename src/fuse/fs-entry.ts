/** A resolved path of the mount: a top-level directory, a `latest` link, or a node of a snapshot. */
import type { BlobId } from '../core/ids.js';
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../core/snapshot.js';

export interface VirtualDir {
  readonly kind: 'vdir';
  readonly ino: number;
  /** Path components below the mount root, e.g. ["hosts", "h1"]. */
  readonly path: readonly string[];
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
  readonly node: Node;
  /** The entries of the directory holding this one, in order, this one's position, and their tree (absent for roots). */
  readonly siblings?: readonly Node[];
  readonly index?: number;
  readonly listedIn?: BlobId;
}

export type FsEntry = VirtualDir | VirtualLink | TreeEntry;
