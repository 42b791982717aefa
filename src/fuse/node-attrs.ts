/** Attributes for the kernel from recorded nodes and from the top-level directories. */
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../core/snapshot.js';
import type { FsEntry } from './fs-entry.js';
import type { Attr } from './kernel/wire.js';

const VIRTUAL_DIR_MODE = 0o040555;
const VIRTUAL_LINK_MODE = 0o120777;

/** A top-level directory or `latest` link is owned by the mounting user and has the newest snapshot's time. */
export function entryAttr(entry: FsEntry, topNs: bigint): Attr {
  if (entry.kind === 'node') return entry.listing.attr(entry.index, entry.ino);
  const link = entry.kind === 'vlink';
  return {
    ino: entry.ino,
    mode: link ? VIRTUAL_LINK_MODE : VIRTUAL_DIR_MODE,
    nlink: link ? 1 : 2,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    rdev: 0,
    size: link ? Buffer.byteLength(entry.target) : 0,
    blocks: 0,
    atimeNs: topNs,
    mtimeNs: topNs,
    ctimeNs: topNs,
  };
}

/** The mode bits an entry is listed with (type and permissions). */
export function entryMode(entry: FsEntry): number {
  if (entry.kind === 'node') return entry.listing.modeBits(entry.index);
  return entry.kind === 'vlink' ? VIRTUAL_LINK_MODE : VIRTUAL_DIR_MODE;
}

/** The directory standing for a snapshot's root tree, with the snapshot's time. */
export function snapshotRootNode(snapshot: Snapshot): Node {
  const ns = BigInt(Date.parse(snapshot.time) || 0) * 1_000_000n;
  return {
    name: Buffer.alloc(0),
    type: 'dir',
    mode: 0o755,
    uid: 0,
    gid: 0,
    mtimeNs: ns,
    atimeNs: ns,
    ctimeNs: ns,
    size: 0,
    allocated: 0,
    device: 0,
    inode: 0,
    links: 2,
    subtree: snapshot.tree,
  };
}
