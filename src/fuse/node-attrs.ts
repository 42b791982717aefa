/** Stat records for FUSE from recorded nodes and from the top-level directories. */
import { modeBitsOf } from '../snapshot/fs/file-type.js';
import type { Node } from '../snapshot/node.js';
import type { Snapshot } from '../core/snapshot.js';
import type { FsEntry } from './fs-entry.js';
import type { FuseStat } from './fuse-native-types.js';
import { servedName } from './name-escape.js';


const BLOCK_SIZE = 4096;
const VIRTUAL_DIR_MODE = 0o040555;
const VIRTUAL_LINK_MODE = 0o120777;

/**
 * Nanoseconds to the milliseconds fuse-native takes. Its stat array is unsigned, so times before
 * 1970 are shown as 1970 rather than as a date in the far future.
 */
export function nsToMs(ns: bigint): number {
  return ns <= 0n ? 0 : Number(ns / 1_000_000n);
}

export function nodeStat(node: Node, ino: number): FuseStat {
  return {
    mode: modeBitsOf(node.type) | (node.mode & 0o7777),
    uid: node.uid,
    gid: node.gid,
    size: node.type === 'symlink' ? linkTarget(node).length : node.size,
    dev: 0,
    nlink: Math.max(1, node.links),
    ino,
    rdev: node.rdev ?? 0,
    blksize: BLOCK_SIZE,
    blocks: Math.ceil(node.allocated / 512),
    atime: nsToMs(node.atimeNs),
    mtime: nsToMs(node.mtimeNs),
    ctime: nsToMs(node.ctimeNs),
  };
}

export function entryStat(entry: FsEntry, topMtimeMs: number): FuseStat {
  if (entry.kind === 'node') return nodeStat(entry.node, entry.ino);
  const link = entry.kind === 'vlink';
  return {
    mode: link ? VIRTUAL_LINK_MODE : VIRTUAL_DIR_MODE,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    size: link ? Buffer.byteLength(entry.target) : 0,
    dev: 0,
    nlink: link ? 1 : 2,
    ino: entry.ino,
    rdev: 0,
    blksize: BLOCK_SIZE,
    blocks: 0,
    atime: topMtimeMs,
    mtime: topMtimeMs,
    ctime: topMtimeMs,
  };
}

/** The directory standing for a snapshot's root tree, with the snapshot's time. */
export function snapshotRootNode(snapshot: Snapshot): Node {
  const ns = BigInt(Math.max(0, Date.parse(snapshot.time) || 0)) * 1_000_000n;
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

/** A symlink target as served: each component escaped like names, so links inside the mount resolve. */
export function linkTarget(node: Node): string {
  const raw = node.linkTarget ?? Buffer.alloc(0);
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i === raw.length || raw[i] === 0x2f) {
      parts.push(servedName(raw.subarray(start, i)));
      start = i + 1;
    }
  }
  return parts.join('/');
}
