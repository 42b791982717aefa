/**
 * Xattrs of entries the walk scanned without them: an entry whose ctime is older than its parent
 * snapshot takes the parent's xattrs when it is the same inode with the same ctime (setting or
 * removing an xattr changes ctime), else they are read when it is taken.
 */
import type { Snapshot } from '../../core/snapshot.js';
import type { Mutable } from '../../core/types.js';
import type { ScannedNode } from '../fs/scan.js';
import { XATTRS_UNREAD, readXattrs } from '../fs/xattrs.js';
import type { Node } from '../node.js';

/**
 * How much older than the parent snapshot a ctime must be: more than the coarsest timestamps between
 * a change and the ctime it gets (a kernel tick, a filesystem's 1–2 s), so that a change made just
 * after the parent read the entry cannot leave the ctime it recorded.
 */
const MARGIN_MS = 5000;

/** The ctime (ns) before which an entry's xattrs need not be read; undefined without a parent. */
export function xattrsBefore(parent: Snapshot | undefined): bigint | undefined {
  const ms = parent === undefined ? Number.NaN : Date.parse(parent.time);
  return Number.isFinite(ms) ? BigInt(ms - MARGIN_MS) * 1_000_000n : undefined;
}

/**
 * Fills in `node`'s xattrs when the scan left them unread (XATTRS_UNREAD): the parent entry's when it
 * is the same inode with the same ctime, else read from `path` now. Throws what reading throws.
 */
export function fillXattrs(node: ScannedNode, old: Node | undefined, path: Buffer): void {
  if (node.xattrs !== XATTRS_UNREAD) return;
  const xattrs = sameInode(old, node) ? (old.xattrs ?? []) : readXattrs(path);
  const n = node as Mutable<ScannedNode>;
  // Deleting the last property added gives back the shape of a node without xattrs.
  if (xattrs.length > 0) n.xattrs = xattrs;
  else delete n.xattrs;
}

function sameInode(old: Node | undefined, now: ScannedNode): old is Node {
  return old !== undefined && old.type === now.type && old.inode === now.inode && old.device === now.device && old.ctimeNs === now.ctimeNs;
}
