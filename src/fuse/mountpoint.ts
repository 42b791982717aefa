/** Checks before mounting: /dev/fuse present, a stale mount cleaned, the mountpoint an empty directory. */
import { constants, promises as fsp, type Stats } from 'node:fs';
import { invalidArgument, RozenError } from '../core/errors.js';
import { detachMount } from './unmount-command.js';

/** What a machine needs for mounts by users other than root, beyond the kernel's FUSE module: fusermount. */
export const INSTALL_HINT = 'apt-get install -y fuse';

export async function checkFuseDevice(device = '/dev/fuse'): Promise<void> {
  try {
    await fsp.access(device, constants.R_OK | constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `${device} is missing: load the kernel module (modprobe fuse), or in a container pass --device ${device}`
        : `${device} is not accessible (${code ?? 'error'}): mounting needs root, or fusermount (${INSTALL_HINT}) and read-write access to ${device}`;
    throw new RozenError('FuseUnavailable', why, { cause: err });
  }
}

/** A mountpoint whose FUSE server died answers ENOTCONN: detach it and look again. */
export async function prepareMountpoint(mountpoint: string, log: (line: string) => void): Promise<void> {
  const st = await statOrCleanStale(mountpoint, log);
  if (!st.isDirectory()) throw invalidArgument(`mountpoint ${mountpoint} is not a directory`);
  const entries = await fsp.readdir(mountpoint);
  if (entries.length > 0) throw invalidArgument(`mountpoint ${mountpoint} is not an empty directory`);
}

async function statOrCleanStale(mountpoint: string, log: (line: string) => void): Promise<Stats> {
  try {
    return await fsp.stat(mountpoint);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalidArgument(`mountpoint ${mountpoint} does not exist`);
    if (code !== 'ENOTCONN' && code !== 'ECONNABORTED') throw err;
  }
  log(`rozen mount: cleaning up a stale mount at ${mountpoint}`);
  try {
    await detachMount(mountpoint);
  } catch (err) {
    throw new RozenError('FuseUnavailable', `could not clean the stale mount at ${mountpoint}: ${String(err)}`, { cause: err });
  }
  return fsp.stat(mountpoint);
}
