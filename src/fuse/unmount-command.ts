/** Detaches a FUSE mount with the system tools, asynchronously: `fusermount -uz`, else `umount -l`. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { childEnv } from '../core/child-env.js';

const run = promisify(execFile);

/** Lazy unmount; resolves when one tool succeeded, else rejects with the last tool's error. Neither sees our secrets. */
export async function detachMount(mountpoint: string): Promise<void> {
  const env = childEnv();
  try {
    await run('fusermount', ['-uz', mountpoint], { env });
  } catch {
    await run('umount', ['-l', mountpoint], { env });
  }
}
