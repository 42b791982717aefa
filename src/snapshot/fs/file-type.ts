/** Node types ↔ POSIX file-type bits (st_mode & S_IFMT) and the stable type codes of the tree format. */
import type { NodeType } from '../node.js';

const S_IFMT = 0o170000;

const MODE_BITS: Readonly<Record<NodeType, number>> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  fifo: 0o010000,
  chardev: 0o020000,
  blockdev: 0o060000,
  socket: 0o140000,
};

/** Stable ids written into tree blobs (docs/FORMAT.md §9.2); never reused. */
export const TYPE_CODES: readonly NodeType[] = ['file', 'dir', 'symlink', 'fifo', 'chardev', 'blockdev', 'socket'];

export function typeCode(type: NodeType): number {
  return TYPE_CODES.indexOf(type);
}

/** The node type of an st_mode, or undefined for a type Rozen does not know (e.g. Solaris doors). */
export function typeFromMode(mode: number): NodeType | undefined {
  const bits = mode & S_IFMT;
  return TYPE_CODES.find((t) => MODE_BITS[t] === bits);
}

/** The S_IFMT bits to pass to mknod for a type. */
export function modeBitsOf(type: NodeType): number {
  return MODE_BITS[type];
}
