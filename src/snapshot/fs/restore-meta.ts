/** Restore side of metadata: creating non-file entries, hardlinks, and applying owner, mode, xattrs and ns times. */
import { chmodSync, lchownSync } from 'node:fs';
import { link, lstat, mkdir, symlink } from 'node:fs/promises';
import { RozenError, invalidArgument } from '../../core/errors.js';
import { type AccountDb, systemAccounts } from './accounts.js';
import { modeBitsOf } from './file-type.js';
import { native } from './native.js';
import type { ScannedNode } from './scan.js';
import { writeXattrs } from './xattrs.js';

export interface MetadataOptions {
  /** Restore owners by number (the default). `false` maps recorded names to this machine's ids where known. */
  readonly numericOwner?: boolean;
  readonly accounts?: AccountDb;
  /**
   * Receives what could not be applied for lack of permission or support (chown as non-root,
   * trusted.* xattrs, a filesystem without xattrs). Without it such failures throw.
   */
  readonly onWarning?: (path: Buffer, message: string) => void;
}

const NS_PER_S = 1_000_000_000n;
const SOFT_ERRORS = new Set(['EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP']);

/**
 * Creates a directory, symlink, FIFO, device or socket at `path` with placeholder permissions;
 * regular files are written by the caller. An existing directory is accepted for a directory.
 */
export async function createSpecial(path: Buffer, node: ScannedNode): Promise<void> {
  switch (node.type) {
    case 'dir':
      return makeDir(path);
    case 'symlink':
      if (node.linkTarget === undefined) throw invalidArgument('symlink node without a target');
      return symlink(node.linkTarget, path);
    case 'fifo':
      return native().mkfifo(path, 0o600);
    case 'chardev':
    case 'blockdev':
      return native().mknod(path, modeBitsOf(node.type) | 0o600, node.rdev ?? 0);
    case 'socket':
      return native().mknod(path, modeBitsOf('socket') | 0o600, 0);
    case 'file':
      throw invalidArgument('createSpecial does not create regular files');
  }
}

/** Makes `path` a hardlink to the already restored `existing`. */
export async function linkTo(existing: Buffer, path: Buffer): Promise<void> {
  await link(existing, path);
}

/**
 * Applies owner, xattrs, mode and times to `path` itself (never through a symlink). Call it after
 * a file's data is written, and for a directory only after all its children are restored and
 * had their metadata applied, since creating entries inside a directory changes its mtime.
 */
export async function applyMetadata(path: Buffer, node: ScannedNode, opts: MetadataOptions = {}): Promise<void> {
  const { uid, gid } = await ownerOf(node, opts);
  // chown clears setuid/setgid and file capabilities, so it goes first.
  // Synchronous: single quick syscalls, far cheaper than a thread-pool hop per file when restoring many.
  await soft(path, opts, 'chown', async () => lchownSync(path, uid, gid));
  // POSIX ACL xattrs rewrite the group permission bits, so chmod comes after them.
  await soft(path, opts, 'xattrs', async () => writeXattrs(path, node.xattrs ?? []));
  if (node.type !== 'symlink') chmodSync(path, node.mode);
  const [aSec, aNsec] = splitNs(node.atimeNs);
  const [mSec, mNsec] = splitNs(node.mtimeNs);
  native().utimensat(path, aSec, aNsec, mSec, mNsec, true);
}

export type OwnerOf = (node: ScannedNode) => { uid: number; gid: number };

/** The owner to restore for a node: its recorded ids, or with `numericOwner: false` its names' ids here where known. */
export async function ownerResolver(opts: MetadataOptions): Promise<OwnerOf> {
  if (opts.numericOwner !== false) return (node) => ({ uid: node.uid, gid: node.gid });
  const accounts = opts.accounts ?? (await systemAccounts());
  return (node) => ({
    uid: (node.user !== undefined ? accounts.uidOf(node.user) : undefined) ?? node.uid,
    gid: (node.group !== undefined ? accounts.gidOf(node.group) : undefined) ?? node.gid,
  });
}

async function ownerOf(node: ScannedNode, opts: MetadataOptions): Promise<{ uid: number; gid: number }> {
  return (await ownerResolver(opts))(node);
}

async function soft(path: Buffer, opts: MetadataOptions, what: string, op: () => Promise<unknown>): Promise<void> {
  try {
    await op();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (opts.onWarning === undefined || code === undefined || !SOFT_ERRORS.has(code)) throw err;
    opts.onWarning(path, `cannot restore ${what}: ${(err as Error).message}`);
  }
}

async function makeDir(path: Buffer): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await lstat(path)).isDirectory()) throw err;
  }
}

/** Splits signed nanoseconds into whole seconds (floored) and 0…999,999,999 ns. */
export function splitNs(ns: bigint): [sec: number, nsec: number] {
  let sec = ns / NS_PER_S;
  let nsec = ns % NS_PER_S;
  if (nsec < 0n) {
    nsec += NS_PER_S;
    sec -= 1n;
  }
  if (sec > BigInt(Number.MAX_SAFE_INTEGER) || sec < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RozenError('InvalidArgument', `time ${ns} ns out of range`);
  }
  return [Number(sec), Number(nsec)];
}
