/** Opening files to back them up without touching their access time. */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Opens `path` for reading with O_NOATIME where the kernel permits it (the file's owner, or
 * root): reading a file for a backup must not change its atime, which the snapshot records,
 * or the next backup would see every file it read as changed metadata. Others open it plainly.
 */
export async function openForBackup(path: Buffer): Promise<FileHandle> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOATIME);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    return open(path, constants.O_RDONLY);
  }
}
