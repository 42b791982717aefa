/** Reads everything Rozen records about one directory entry: lstat with ns times, owner names, xattrs, link target. */
import { lstat, readlink, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { RozenError } from '../../core/errors.js';
import type { Node } from '../node.js';
import { type AccountDb, systemAccounts } from './accounts.js';
import { typeFromMode } from './file-type.js';
import { readXattrs } from './xattrs.js';

/** A node as scanned from disk, before its content or subtree is stored. */
export type ScannedNode = Omit<Node, 'content' | 'sizes' | 'subtree'>;

export interface ScanOptions {
  /** Follow a symlink at `path` itself (used for the ancestors of backup roots). */
  readonly follow?: boolean;
  readonly accounts?: AccountDb;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export async function scanEntry(path: Buffer, name: Buffer, opts: ScanOptions = {}): Promise<ScannedNode> {
  const st = opts.follow === true ? await stat(path, { bigint: true }) : await lstat(path, { bigint: true });
  const type = typeFromMode(Number(st.mode));
  if (type === undefined) throw new RozenError('Unsupported', `unknown file type ${Number(st.mode).toString(8)}`);
  const accounts = opts.accounts ?? (await systemAccounts());
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  const user = accounts.userName(uid);
  const group = accounts.groupName(gid);
  const linkTarget = type === 'symlink' ? await readlink(path, { encoding: 'buffer' }) : undefined;
  const xattrs = readXattrs(path);
  return {
    name,
    type,
    mode: Number(st.mode) & 0o7777,
    uid,
    gid,
    ...(user !== undefined && { user }),
    ...(group !== undefined && { group }),
    mtimeNs: clampNs(st.mtimeNs),
    atimeNs: clampNs(st.atimeNs),
    ctimeNs: clampNs(st.ctimeNs),
    size: sizeOf(type, st, linkTarget),
    allocated: Number(st.blocks) * 512,
    device: Number(st.dev),
    inode: Number(st.ino),
    links: Number(st.nlink),
    ...((type === 'chardev' || type === 'blockdev') && { rdev: Number(st.rdev) }),
    ...(linkTarget !== undefined && { linkTarget }),
    ...(xattrs.length > 0 && { xattrs }),
  };
}

function sizeOf(type: string, st: BigIntStats, linkTarget: Buffer | undefined): number {
  if (type === 'file') return Number(st.size);
  return linkTarget?.length ?? 0;
}

/** Times are stored as signed 64-bit nanoseconds (years 1678–2262); anything outside is clamped. */
function clampNs(ns: bigint): bigint {
  return ns < INT64_MIN ? INT64_MIN : ns > INT64_MAX ? INT64_MAX : ns;
}
