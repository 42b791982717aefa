/** Extended attributes of a path itself (never following a symlink), by byte path. */
import { native } from './native.js';

export type Xattrs = readonly (readonly [name: string, value: Buffer])[];

/**
 * A scanned node's xattrs when the scan did not read them (see scanNames' `xattrsBefore`): whoever
 * takes the node fills them in (backup: from the parent snapshot, or read then). Compared by identity;
 * the tree encoder refuses a node that still has it.
 */
export const XATTRS_UNREAD: Xattrs = Object.freeze([]);

/** All attributes of `path`, sorted by the bytes of their names. */
export function readXattrs(path: Buffer): Xattrs {
  const n = native();
  const out: [string, Buffer][] = [];
  for (const name of splitNames(n.llistxattr(path))) {
    const value = n.lgetxattr(path, name);
    if (value !== null) out.push([name, value]);
  }
  return out.sort((a, b) => compareNames(a[0], b[0]));
}

/** Makes the attributes of `path` exactly `xattrs`: sets each, removes any others. */
export function writeXattrs(path: Buffer, xattrs: Xattrs): void {
  const n = native();
  const wanted = new Set(xattrs.map(([name]) => name));
  for (const name of splitNames(n.llistxattr(path))) {
    if (!wanted.has(name)) n.lremovexattr(path, name);
  }
  for (const [name, value] of xattrs) n.lsetxattr(path, name, value);
}

export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function splitNames(list: Buffer): string[] {
  const names: string[] = [];
  let start = 0;
  for (let i = list.indexOf(0); i >= 0; i = list.indexOf(0, start)) {
    if (i > start) names.push(list.toString('utf8', start, i));
    start = i + 1;
  }
  return names;
}
