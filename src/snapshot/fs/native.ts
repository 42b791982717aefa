/** Loads Rozen's native addon (build/Release/rozen_native.node, built by node-gyp from src/native/). */
import { addon } from '../../core/addon.js';

/** The addon's functions; all are synchronous single syscalls. Errors carry code/errno/syscall like Node's. */
export interface Native {
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
