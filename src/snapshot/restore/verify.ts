/**
 * restore --verify: re-read restored files and compare them with the snapshot. Each file is read
 * back chunk by chunk at the recorded chunk sizes and each chunk's keyed hash compared with its
 * blob id (FORMAT §6), so no repository data is read; bytes past the last chunk must be zeros
 * (restore ends a file by truncating it to its size).
 */
import { createHmac } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RozenError } from '../../core/errors.js';
import type { BlobId } from '../../core/ids.js';
import type { Snapshot } from '../../core/snapshot.js';
import { forEachLimited } from '../../repo/for-each-limited.js';
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';
import { walkSelected, type PlannedEntry, type Selection } from './plan.js';

export interface VerifyOptions {
  readonly target: string;
  readonly selection?: Selection;
  /** Called once for each file that differs: its path in the target and how. */
  readonly mismatch: (path: string, why: string) => void;
  readonly signal?: AbortSignal;
}

export interface VerifyResult {
  readonly files: number;
  readonly mismatches: number;
}

const READ_BYTES = 1024 * 1024;
const FILES_IN_FLIGHT = 4;
const WALK_STEPS = 4096;

/** Checks every selected regular file of `snap` in the target. */
export async function verifyRestore(repo: Repository, snap: Snapshot, opts: VerifyOptions): Promise<VerifyResult> {
  const target = Buffer.from(resolve(opts.target));
  const idKey = repo.master.idKey;
  const result = { files: 0, mismatches: 0 };
  await walkSelected(repo, snap.tree, opts.selection ?? {}, WALK_STEPS, async (steps) => {
    if (opts.signal?.aborted) throw new RozenError('Interrupted', 'interrupted');
    const files = steps.filter((s) => s.kind === 'entry' && s.entry.node.type === 'file').map((s) => s.entry);
    await forEachLimited(files, FILES_IN_FLIGHT, async (e: PlannedEntry) => {
      const path = Buffer.concat([target, e.path]);
      const why = await verifyFile(path, e.node, idKey);
      result.files++;
      if (why === undefined) return;
      result.mismatches++;
      opts.mismatch(path.toString(), why);
    });
  });
  return result;
}

/** Why the file at `path` is not the snapshot's `node`, or undefined when it is. */
export async function verifyFile(path: Buffer, node: Node, idKey: Uint8Array): Promise<string | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'missing' : code === 'ELOOP' ? 'is a symbolic link, not a file' : `cannot be read (${String(code)})`;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return 'is not a regular file';
    if (st.size !== node.size) return `has ${st.size} bytes, the snapshot ${node.size}`;
    return await compareContent(fh, node, idKey);
  } finally {
    await fh.close();
  }
}

async function compareContent(fh: FileHandle, node: Node, idKey: Uint8Array): Promise<string | undefined> {
  const buf = Buffer.alloc(Math.min(READ_BYTES, Math.max(1, node.size)));
  const ids = node.content ?? [];
  let pos = 0;
  for (const [j, id] of ids.entries()) {
    const size = node.sizes?.[j] ?? 0;
    if (pos + size > node.size || (await chunkId(fh, buf, pos, size, idKey)) !== id)
      return `content differs in bytes ${pos}-${pos + size - 1}`;
    pos += size;
  }
  const at = await firstNonZero(fh, buf, pos, node.size);
  return at === undefined ? undefined : `content differs at byte ${at} (past the stored data, which should be zeros)`;
}

/** The keyed hash of `size` bytes at `pos`, read through `buf`; undefined when the file ends first. */
async function chunkId(fh: FileHandle, buf: Buffer, pos: number, size: number, idKey: Uint8Array): Promise<BlobId | undefined> {
  const h = createHmac('sha256', idKey);
  for (let done = 0; done < size;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - done), pos + done);
    if (bytesRead === 0) return undefined;
    h.update(buf.subarray(0, bytesRead));
    done += bytesRead;
  }
  return h.digest('hex') as BlobId;
}

async function firstNonZero(fh: FileHandle, buf: Buffer, from: number, end: number): Promise<number | undefined> {
  for (let pos = from; pos < end;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (bytesRead === 0) return pos;
    const i = buf.subarray(0, bytesRead).findIndex((b) => b !== 0);
    if (i >= 0) return pos + i;
    pos += bytesRead;
  }
  return undefined;
}
