/** Calls on the mount's filesystem as the kernel session makes them, for tests without a kernel. */
import type { DirentWriter } from '../../src/fuse/kernel/wire.js';
import type { SnapshotFs } from '../../src/fuse/snapshot-fs.js';

/** The value of a request, or a thrown error for an errno. */
export async function value<T>(r: T | number | Promise<T | number>): Promise<T> {
  const v = await r;
  if (typeof v === 'number') throw new Error(`errno ${v}`);
  return v;
}

/** A listing's reply as the session sends it: written, then its references taken. */
export async function sent(r: DirentWriter | number | Promise<DirentWriter | number>): Promise<DirentWriter> {
  const out = await value(r);
  out.onSent?.();
  return out;
}

/** Looks up a path from the root, one component at a time, as the kernel does. */
export async function walk(fs: SnapshotFs, path: string): Promise<number> {
  let ino = 1;
  for (const part of path.split('/').filter(Boolean)) ino = (await value(fs.lookup(ino, Buffer.from(part)))).attr.ino;
  return ino;
}
