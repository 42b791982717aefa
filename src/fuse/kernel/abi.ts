/** The slice of the Linux FUSE kernel ABI (<linux/fuse.h>, protocol 7.38) that a read-only server speaks. */

export const FUSE_KERNEL_VERSION = 7;
/** The minor version this server answers with (the kernel takes the lower of its own and ours). */
export const FUSE_KERNEL_MINOR_VERSION = 38;
/** Oldest kernel minor accepted: 7.23 brought the 64-byte init reply and time_gran. */
export const FUSE_MIN_MINOR_VERSION = 23;
export const FUSE_ROOT_ID = 1;

export const Op = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  COPY_FILE_RANGE: 47,
  TMPFILE: 51,
} as const;

/** Requests that would change something: refused with EROFS even if the kernel let one through. */
export const CHANGE_OPS: ReadonlySet<number> = new Set([
  Op.SETATTR,
  Op.SYMLINK,
  Op.MKNOD,
  Op.MKDIR,
  Op.UNLINK,
  Op.RMDIR,
  Op.RENAME,
  Op.LINK,
  Op.WRITE,
  Op.FSYNC,
  Op.SETXATTR,
  Op.REMOVEXATTR,
  Op.FSYNCDIR,
  Op.CREATE,
  Op.FALLOCATE,
  Op.RENAME2,
  Op.COPY_FILE_RANGE,
  Op.TMPFILE,
]);

/** INIT flags (fuse_init_in.flags / fuse_init_out.flags). */
export const Init = {
  ASYNC_READ: 1 << 0,
  BIG_WRITES: 1 << 5,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  NO_OPEN_SUPPORT: 1 << 17,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
} as const;

/** Unsolicited messages to the kernel (the `error` field of their out header; `unique` is 0). */
export const Notify = { STORE: 4 } as const;

/** fuse_open_out.open_flags. */
export const FOPEN_KEEP_CACHE = 1 << 1;
export const FOPEN_CACHE_DIR = 1 << 3;

/** Sizes of the fixed structs, in bytes. */
export const Size = {
  inHeader: 40,
  outHeader: 16,
  attr: 88,
  entryOut: 128,
  attrOut: 104,
  openOut: 16,
  initOut: 64,
  statfsOut: 80,
  getxattrOut: 8,
  dirent: 24,
  direntplus: 152,
  notifyStoreOut: 24,
} as const;

/** DT_* directory entry types, from the S_IFMT bits of a mode. */
export function direntType(mode: number): number {
  return (mode >>> 12) & 0o17;
}
