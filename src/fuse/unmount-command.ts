/** Detaches a FUSE mount with the system tools, asynchronously: `fusermount -uz`, else `umount -l`. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Lazy unmount; resolves when one tool succeeded, else rejects with the last tool's error. */
export async function detachMount(mountpoint: string): Promise<void> {
  try {
    await run('fusermount', ['-uz', mountpoint]);
  } catch {
    await run('umount', ['-l', mountpoint]);
  }
}
