/** One entry of a directory tree as recorded at backup: type, metadata and where its bytes are. */
import type { BlobId } from '../core/ids.js';

export type NodeType = 'file' | 'dir' | 'symlink' | 'fifo' | 'chardev' | 'blockdev' | 'socket';

export interface Node {
  /** The entry's name as raw bytes (names need not be valid UTF-8). */
  readonly name: Buffer;
  readonly type: NodeType;
  /** Permission bits including setuid, setgid and sticky (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly user?: string;
  readonly group?: string;
  /** Times in nanoseconds since the epoch. */
  readonly mtimeNs: bigint;
  readonly atimeNs: bigint;
  readonly ctimeNs: bigint;
  /** Apparent size in bytes (files), target length (symlinks), 0 otherwise. */
  readonly size: number;
  /** Bytes allocated on disk (st_blocks * 512), for sparse files and `du`. */
  readonly allocated: number;
  /** st_dev and st_ino at backup: equal pairs with links > 1 are hardlinks. */
  readonly device: number;
  readonly inode: number;
  readonly links: number;
  /** Device number of character and block devices. */
  readonly rdev?: number;
  readonly linkTarget?: Buffer;
  /** Extended attributes, sorted by name. */
  readonly xattrs?: readonly (readonly [name: string, value: Buffer])[];
  /** File content: blob ids in order, and the plaintext size of each. */
  readonly content?: readonly BlobId[];
  readonly sizes?: readonly number[];
  /** Directory: the tree blob listing its entries. */
  readonly subtree?: BlobId;
}
