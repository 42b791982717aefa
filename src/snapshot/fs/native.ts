/** The addon's filesystem functions (directory scans and the syscalls Node lacks), typed as the snapshot layer uses them. */
import { addon } from '../../core/addon.js';

/**
 * What `scanDir` gives for n names, index-aligned with them. Only failed entries, symlinks and entries with
 * xattrs add JS objects beyond the two typed arrays.
 */
export interface RawDirScan {
  /** SCAN_FIELDS numbers per name: errno (0 = scanned fine), then st_mode, uid, gid, size, blocks, dev, ino, nlink, rdev. */
  readonly stats: Float64Array;
  /** atime, mtime, ctime per name, in ns since the epoch, clamped to int64. */
  readonly times: BigInt64Array;
  /** The error of each failed entry (Node-style for lstat/readlink, with code/errno/syscall); null when none failed. */
  readonly errors: readonly (Error | undefined)[] | null;
  /** Each symlink's target; null when there are none. */
  readonly links: readonly (Buffer | undefined)[] | null;
  /** The attributes of each entry that has some, sorted by name bytes; null when none has. */
  readonly xattrs: readonly ([name: string, value: Buffer][] | undefined)[] | null;
  /** 1 for each entry whose attributes were not read (its ctime is before `xattrsBefore`); null when none. */
  readonly unread: Uint8Array | null;
}

/** Fields per entry in RawDirScan.stats. */
export const SCAN_FIELDS = 10;

/** The addon's functions; all but scanDir and listDir are synchronous single syscalls. Errors carry code/errno/syscall like Node's. */
export interface Native {
  /**
   * lstat, readlink (symlinks) and the xattrs of each of `names` inside directory `dir`, on the thread pool;
   * the xattrs only of entries whose ctime (ns) is not before `xattrsBefore`, when it is given.
   * Per-entry failures (vanished, unreadable) come back in `errors`; bad arguments throw a TypeError.
   */
  scanDir(dir: Buffer, names: readonly Buffer[], xattrsBefore?: bigint): Promise<RawDirScan>;
  /**
   * A directory's entries (not . and ..) sorted as Buffer.compare orders them, on the thread pool,
   * without changing the directory's atime. Entry i's name is `names` from `ends[i - 1]` (0 for the
   * first) to `ends[i]`; `dirs[i]` is 1 for a directory. Rejects like fs.readdir.
   */
  listDir(dir: Buffer): Promise<{ readonly names: Buffer; readonly ends: Uint32Array; readonly dirs: Uint8Array }>;
  utimensat(path: Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number, noFollow: boolean): void;
  /** `mode` includes the S_IFMT type bits; `dev` is an encoded st_rdev. */
  mknod(path: Buffer, mode: number, dev: number): void;
  mkfifo(path: Buffer, mode: number): void;
  /** Attribute names, each followed by a NUL byte. */
  llistxattr(path: Buffer): Buffer;
  /** The attribute's value, or null if it does not exist. */
  lgetxattr(path: Buffer, name: string): Buffer | null;
  lsetxattr(path: Buffer, name: string, value: Buffer): void;
  lremovexattr(path: Buffer, name: string): void;
  /** lseek with SEEK_DATA or SEEK_HOLE; -1 when no data follows the offset (ENXIO). */
  seek(fd: number, offset: number, whence: 'data' | 'hole'): number;
}

export function native(): Native {
  return addon() as Native;
}
