/**
 * Writing restored blobs in the addon (src/native/write_blobs.c), on the libuv pool: each blob is opened and
 * verified, written to the files that use it, and a file made of that one blob is finished (size, owner,
 * xattrs, mode, times) through its descriptor. No JavaScript runs per blob or per file.
 */
import { getSystemErrorMap } from 'node:util';
import { addon } from '../../core/addon.js';
import type { BlobId } from '../../core/ids.js';
import { blobIdBytes } from '../../crypto/blob-id.js';
import { blobProblem } from '../../repo/native-open.js';
import type { Xattrs } from '../fs/xattrs.js';

/** How a file made of one blob is left once written. */
export interface FileFinish {
  readonly size: number;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly atime: readonly [sec: number, nsec: number];
  readonly mtime: readonly [sec: number, nsec: number];
  readonly xattrs: Xattrs;
}

export interface WriteTarget {
  readonly path: Buffer;
  readonly offset: number;
  /** Create (truncate) the file first; otherwise it must exist. Never through a symlink. */
  readonly create: boolean;
  /** Leave blocks of zeros unwritten (holes); with `finish`, the size is then set by truncating. */
  readonly sparse: boolean;
  readonly finish?: FileFinish;
}

export interface WriteBlob {
  readonly id: BlobId;
  /** Where the sealed blob lies in the bytes handed over. */
  readonly at: number;
  readonly length: number;
  readonly rawLength: number;
  readonly targets: readonly WriteTarget[];
}

export interface TargetOutcome {
  /** The failure that stopped this file (an fs-shaped error: code, errno, syscall, path). */
  readonly error?: NodeJS.ErrnoException;
  /** What could not be applied for lack of permission or support: owner, xattrs. */
  readonly warnings: readonly string[];
}

export interface BlobOutcome {
  /** '' when the blob opened and verified; otherwise why not, and none of its targets was touched. */
  readonly problem: string;
  readonly targets: readonly TargetOutcome[];
}

type WriteFn = (
  keys: Uint8Array,
  sealed: Uint8Array,
  blobs: Float64Array,
  ids: Uint8Array,
  targets: Float64Array,
  strings: Uint8Array,
) => Promise<Int32Array>;

const BLOB_FIELDS = 5;
const TARGET_FIELDS = 14;
const RESULT_FIELDS = 4;
const T_CREATE = 1;
const T_SPARSE = 2;
const T_FINISH = 4;
/** The failed step's syscall, by the addon's step number. */
const STEPS = ['', 'open', 'write', 'ftruncate', 'fchown', 'fsetxattr', 'fchmod', 'futimens', 'arguments'];

/** Opens and writes `blobs` (lying in `sealed`) with the repository's native keys (encryption ‖ id key). */
export async function writeBlobs(keys: Uint8Array, sealed: Uint8Array, blobs: readonly WriteBlob[]): Promise<BlobOutcome[]> {
  const targets = blobs.flatMap((b) => b.targets);
  const strings = Buffer.allocUnsafe(targets.reduce((n, t) => n + t.path.length + 1 + xattrBytes(t.finish?.xattrs ?? []), 0));
  const layout = new Float64Array(BLOB_FIELDS * blobs.length);
  const ids = new Uint8Array(32 * blobs.length);
  const fields = new Float64Array(TARGET_FIELDS * targets.length);
  let first = 0;
  blobs.forEach((b, i) => {
    layout.set([b.at, b.length, b.rawLength, first, b.targets.length], BLOB_FIELDS * i);
    ids.set(blobIdBytes(b.id), 32 * i);
    first += b.targets.length;
  });
  let at = 0;
  targets.forEach((t, k) => {
    const pathAt = at;
    at += t.path.copy(strings, at);
    strings[at++] = 0;
    const f = t.finish;
    const flags = (t.create ? T_CREATE : 0) | (t.sparse ? T_SPARSE : 0) | (f ? T_FINISH : 0);
    fields.set([pathAt, t.path.length, t.offset, flags], TARGET_FIELDS * k);
    if (!f) return;
    fields.set([f.size, f.uid, f.gid, f.mode, ...f.atime, ...f.mtime, at, f.xattrs.length], TARGET_FIELDS * k + 4);
    for (const [name, value] of f.xattrs) {
      at += strings.write(name, at);
      strings[at++] = 0;
      at = strings.writeUInt32LE(value.length, at);
      at += value.copy(strings, at);
    }
  });
  const results = await (addon() as { writeBlobs: WriteFn }).writeBlobs(keys, sealed, layout, ids, fields, strings);
  let k = 0;
  return blobs.map((b, i) => {
    const code = results[i] as number;
    const outcomes = b.targets.map((t) => outcomeOf(results, blobs.length + RESULT_FIELDS * k++, t.path));
    return { problem: code === 0 ? '' : blobProblem(b.id, code), targets: outcomes };
  });
}

function xattrBytes(xattrs: Xattrs): number {
  return xattrs.reduce((n, [name, value]) => n + Buffer.byteLength(name) + 5 + value.length, 0);
}

/** The outcome of one target from its RESULT_FIELDS numbers at `at`: failed step, its errno, chown and xattr errnos. */
function outcomeOf(r: Int32Array, at: number, path: Buffer): TargetOutcome {
  const [step, errno, chown, xattr] = [r[at]!, r[at + 1]!, r[at + 2]!, r[at + 3]!];
  const warnings: string[] = [];
  if (chown !== 0) warnings.push(`cannot restore chown: ${errnoError(chown, 'fchown', path).message}`);
  if (xattr !== 0) warnings.push(`cannot restore xattrs: ${errnoError(xattr, 'fsetxattr', path).message}`);
  return step === 0 ? { warnings } : { error: errnoError(errno, STEPS[step] ?? 'write', path), warnings };
}

/** An error shaped like Node's fs errors: "CODE: description, syscall 'path'". */
function errnoError(errno: number, syscall: string, path: Buffer): NodeJS.ErrnoException {
  const [code, description] = getSystemErrorMap().get(-errno) ?? [`E${errno}`, 'unknown error'];
  const err: NodeJS.ErrnoException = new Error(`${code}: ${description}, ${syscall} '${path.toString()}'`);
  return Object.assign(err, { errno: -errno, code, syscall, path: path.toString() });
}
