/** Negative errno values as FUSE handlers return them (Linux numbers). */

export const Errno = {
  EPERM: -1,
  ENOENT: -2,
  EIO: -5,
  EBADF: -9,
  EACCES: -13,
  ENOTDIR: -20,
  EISDIR: -21,
  EINVAL: -22,
  EROFS: -30,
  ERANGE: -34,
  ENODATA: -61,
} as const;
