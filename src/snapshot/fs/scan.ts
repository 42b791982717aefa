/** Reads everything Rozen records about one directory entry: lstat with ns times, owner names, xattrs, link target. */
import { lstat, readlink, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { RozenError } from '../../core/errors.js';
import type { Mutable } from '../../core/types.js';
import type { Node, NodeType } from '../node.js';
import { type AccountDb, systemAccounts } from './accounts.js';
import { typeFromMode } from './file-type.js';
import { type Xattrs, XATTRS_UNREAD, readXattrs } from './xattrs.js';

/** A node as scanned from disk, before its content or subtree is stored. */
export type ScannedNode = Omit<Node, 'content' | 'sizes' | 'subtree'>;

export interface ScanOptions {
  /** Follow a symlink at `path` itself (used for the ancestors of backup roots). */
  readonly follow?: boolean;
  readonly accounts?: AccountDb;
}

/** The stat fields a node is made of, as numbers, with times in ns already clamped to int64. */
export interface EntryStat {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly blocks: number;
  readonly dev: number;
  readonly ino: number;
  readonly nlink: number;
  readonly rdev: number;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** One entry by path; a whole directory's children are scanned in batches by dir-scan.ts instead. */
export async function scanEntry(path: Buffer, name: Buffer, opts: ScanOptions = {}): Promise<ScannedNode> {
  const st = opts.follow === true ? await stat(path, { bigint: true }) : await lstat(path, { bigint: true });
  const type = knownType(Number(st.mode));
  const accounts = opts.accounts ?? (await systemAccounts());
  const linkTarget = type === 'symlink' ? await readlink(path, { encoding: 'buffer' }) : undefined;
  return nodeOf(name, type, entryStat(st), accounts, linkTarget, readXattrs(path));
}

/** The node type of an st_mode; throws Unsupported for a type Rozen does not record. */
export function knownType(mode: number): NodeType {
  const type = typeFromMode(mode);
  if (type === undefined) throw new RozenError('Unsupported', `unknown file type ${mode.toString(8)}`);
  return type;
}

/**
 * The node for scanned data; `xattrs` as readXattrs gives them (sorted), or XATTRS_UNREAD. Built field by field in the
 * order the tree decoder builds a Node (no spreads: this runs for every entry), so the two compare
 * through the same object shape.
 */
export function nodeOf(
  name: Buffer,
  type: NodeType,
  st: EntryStat,
  accounts: AccountDb,
  linkTarget: Buffer | undefined,
  xattrs: Xattrs,
): ScannedNode {
  const node: Mutable<ScannedNode> = {
    name,
    type,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtimeNs: st.mtimeNs,
    atimeNs: st.atimeNs,
    ctimeNs: st.ctimeNs,
    size: type === 'file' ? st.size : (linkTarget?.length ?? 0),
    allocated: st.blocks * 512,
    device: st.dev,
    inode: st.ino,
    links: st.nlink,
  };
  const user = accounts.userName(st.uid);
  const group = accounts.groupName(st.gid);
  if (user !== undefined) node.user = user;
  if (group !== undefined) node.group = group;
  if (type === 'chardev' || type === 'blockdev') node.rdev = st.rdev;
  if (linkTarget !== undefined) node.linkTarget = linkTarget;
  if (xattrs.length > 0 || xattrs === XATTRS_UNREAD) node.xattrs = xattrs;
  return node;
}

function entryStat(st: BigIntStats): EntryStat {
  return {
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    blocks: Number(st.blocks),
    dev: Number(st.dev),
    ino: Number(st.ino),
    nlink: Number(st.nlink),
    rdev: Number(st.rdev),
    atimeNs: clampNs(st.atimeNs),
    mtimeNs: clampNs(st.mtimeNs),
    ctimeNs: clampNs(st.ctimeNs),
  };
}

/** Times are stored as signed 64-bit nanoseconds (years 1678–2262); anything outside is clamped. */
function clampNs(ns: bigint): bigint {
  return ns < INT64_MIN ? INT64_MIN : ns > INT64_MAX ? INT64_MAX : ns;
}
