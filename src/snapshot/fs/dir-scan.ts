/** Many entries of one directory scanned by one native call on the thread pool, giving what scanEntry gives for each. */
import { type AccountDb, systemAccounts } from './accounts.js';
import { type RawDirScan, SCAN_FIELDS, native } from './native.js';
import { type ScannedNode, knownType, nodeOf } from './scan.js';
import { XATTRS_UNREAD } from './xattrs.js';

/** Names per native call: bounds one thread-pool task and the size of its result. */
export const SCAN_BATCH = 512;

/**
 * The node of each of `names` inside `dir` (its byte path), or the error scanEntry would have thrown for it
 * (vanished: code ENOENT, unreadable: EACCES, unknown type: Unsupported). Rejects only on bad arguments.
 * With `xattrsBefore` (ns), an entry whose ctime is before it has XATTRS_UNREAD for its xattrs.
 */
export async function scanNames(
  dir: Buffer,
  names: readonly Buffer[],
  accounts?: AccountDb,
  xattrsBefore?: bigint,
): Promise<(ScannedNode | Error)[]> {
  const db = accounts ?? (await systemAccounts());
  const raw = await native().scanDir(dir, names, xattrsBefore);
  return names.map((name, i) => nodeAt(raw, i, name, db));
}

function nodeAt(raw: RawDirScan, i: number, name: Buffer, accounts: AccountDb): ScannedNode | Error {
  const error = raw.errors?.[i];
  if (error !== undefined) return error;
  const f = raw.stats;
  const at = i * SCAN_FIELDS;
  const mode = f[at + 1]!;
  let type;
  try {
    type = knownType(mode);
  } catch (err) {
    return err as Error;
  }
  const times = raw.times;
  const stat = {
    mode,
    uid: f[at + 2]!,
    gid: f[at + 3]!,
    size: f[at + 4]!,
    blocks: f[at + 5]!,
    dev: f[at + 6]!,
    ino: f[at + 7]!,
    nlink: f[at + 8]!,
    rdev: f[at + 9]!,
    atimeNs: times[i * 3]!,
    mtimeNs: times[i * 3 + 1]!,
    ctimeNs: times[i * 3 + 2]!,
  };
  const xattrs = raw.unread?.[i] === 1 ? XATTRS_UNREAD : (raw.xattrs?.[i] ?? []);
  return nodeOf(name, type, stat, accounts, raw.links?.[i], xattrs);
}
