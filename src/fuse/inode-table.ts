/** Stable inode numbers: one per (snapshot, path), shared by the hardlinks of one snapshot. */
import { createHash } from 'node:crypto';
import type { Node } from '../snapshot/node.js';

export const ROOT_INO = 1;

/**
 * Numbers are handed out in blocks: a directory's entries get consecutive numbers from a base
 * remembered by the directory's own number, so a listing evicted from the tree cache and loaded
 * again gets the same numbers. The same snapshot seen under /snapshots and /ids is one tree.
 */
export class InodeTable {
  private next = ROOT_INO + 1;
  private readonly virtual = new Map<string, number>();
  private readonly roots = new Map<string, number>();
  private readonly dirBase = new Map<number, number>();
  private readonly hardlinks = new Map<string, number>();

  /** A top-level path such as "/snapshots" or "/hosts/h/latest". */
  forVirtual(path: string): number {
    if (path === '/') return ROOT_INO;
    return getOrAllocate(this.virtual, path, () => this.allocate(1));
  }

  forSnapshotRoot(snapshotId: string): number {
    return getOrAllocate(this.roots, snapshotId, () => this.allocate(1));
  }

  /** Entry `index` of the `count` entries of the directory numbered `dirIno`: a number of its own. */
  forChild(dirIno: number, index: number, count: number): number {
    let base = this.dirBase.get(dirIno);
    if (base === undefined) this.dirBase.set(dirIno, (base = this.allocate(count)));
    return base + index;
  }

  /** Entry `other` of the directory whose entry `index` forChild numbered `ino`. */
  sibling(ino: number, index: number, other: number): number {
    return ino - index + other;
  }

  /** A node with several links, numbered `own` where it is listed: the number of the first link seen that recorded the same file. */
  forLink(snapshotId: string, own: number, node: Node): number {
    return getOrAllocate(this.hardlinks, hardlinkKey(snapshotId, node), () => own);
  }

  private allocate(count: number): number {
    const first = this.next;
    this.next += Math.max(1, count);
    return first;
  }
}

/**
 * Links share a number only when they recorded the same file: a file changed while a backup read its
 * links is two files, and one number would have the kernel serve one's cached pages for the other.
 */
function hardlinkKey(snapshotId: string, node: Node): string {
  const what = createHash('sha256').update(
    `${node.size}:${node.mtimeNs}:${node.mode}:${node.uid}:${node.gid}:${(node.content ?? []).join(',')}`,
  );
  return `${snapshotId}:${node.device}:${node.inode}:${what.digest('base64')}`;
}

function getOrAllocate<K>(map: Map<K, number>, key: K, make: () => number): number {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}
