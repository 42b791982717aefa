/** The slice of fuse-native's CommonJS API the mount uses, typed. */

/** A stat as fuse-native takes it: times in milliseconds since the epoch. */
export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  dev: number;
  nlink: number;
  ino: number;
  rdev: number;
  blksize: number;
  blocks: number;
  atime: number;
  mtime: number;
  ctime: number;
}

/** Callbacks take 0 or a negative errno first. */
export type ErrCb = (err: number) => void;
export type ValueCb<T> = (err: number, value?: T) => void;

export interface FuseOps {
  init?(cb: ErrCb): void;
  statfs?(path: string, cb: ValueCb<Partial<Record<string, number>>>): void;
  getattr?(path: string, cb: ValueCb<FuseStat>): void;
  fgetattr?(path: string, fd: number, cb: ValueCb<FuseStat>): void;
  readdir?(path: string, cb: (err: number, names?: string[], stats?: FuseStat[]) => void): void;
  readlink?(path: string, cb: ValueCb<string>): void;
  open?(path: string, flags: number, cb: ValueCb<number>): void;
  release?(path: string, fd: number, cb: ErrCb): void;
  read?(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (bytesOrErr: number) => void): void;
  getxattr?(path: string, name: string, position: number, cb: ValueCb<Buffer>): void;
  listxattr?(path: string, cb: ValueCb<string[]>): void;
  [op: string]: ((...args: never[]) => void) | undefined;
}

export interface FuseOptions {
  fsname?: string;
  allowOther?: boolean;
  defaultPermissions?: boolean;
  kernelCache?: boolean;
  attrTimeout?: number;
  entryTimeout?: number;
  timeout?: number | false;
  force?: boolean;
  mkdir?: boolean;
}

export interface FuseInstance {
  readonly mnt: string;
  /** The native thread handle, set while mounted. */
  readonly _thread: Buffer | null;
  mount(cb: (err: Error | null) => void): void;
}

export type FuseConstructor = new (mountpoint: string, ops: FuseOps, opts: FuseOptions) => FuseInstance;

export interface FuseBinding {
  /** Releases the handle that keeps the event loop alive; the kernel side must already be unmounted. */
  fuse_native_unmount(mountpoint: string, thread: Buffer): void;
}
