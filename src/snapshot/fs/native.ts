/** Loads Rozen's native addon (build/Release/rozen_native.node, built by node-gyp from src/native/). */
import { createRequire } from 'node:module';
import { RozenError } from '../../core/errors.js';

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

const ADDON_PATH = '../../../build/Release/rozen_native.node';
let cached: Native | undefined;

export function native(): Native {
  cached ??= load();
  return cached;
}

function load(): Native {
  const require = createRequire(import.meta.url);
  try {
    return require(ADDON_PATH) as Native;
  } catch (cause) {
    throw new RozenError(
      'Unsupported',
      'the native addon build/Release/rozen_native.node is missing or broken; build it with `npx node-gyp rebuild`',
      { cause },
    );
  }
}
