/** The parent snapshot's directory listings, loaded lazily as the walk enters matching directories. */
import type { BlobId } from '../../core/ids.js';
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';
import { loadTree } from '../trees.js';

/** A parent snapshot's directory: its tree id and its entries by name (in tree order). */
export type ParentDir = { readonly tree: BlobId; readonly entries: ReadonlyMap<string, Node> } | undefined;

const key = (name: Buffer): string => name.toString('latin1');

export async function parentDir(repo: Repository, tree: BlobId | undefined): Promise<ParentDir> {
  if (tree === undefined) return undefined;
  try {
    return { tree, entries: new Map((await loadTree(repo, tree)).map((n) => [key(n.name), n])) };
  } catch {
    return undefined;
  }
}

export function parentEntry(dir: ParentDir, name: Buffer): Node | undefined {
  return dir?.entries.get(key(name));
}

/**
 * The parent's tree id when `nodes` would encode to exactly the parent's tree (same entries,
 * every recorded field equal): the tree need not be encoded, hashed, sealed or looked up again.
 */
export function sameTree(dir: ParentDir, nodes: readonly Node[]): BlobId | undefined {
  if (dir === undefined || dir.entries.size !== nodes.length) return undefined;
  let i = 0;
  for (const old of dir.entries.values()) if (!sameNode(old, nodes[i++]!)) return undefined;
  return dir.tree;
}

function sameNode(a: Node, b: Node): boolean {
  if (a === b) return true;
  if (a.type !== b.type || a.mtimeNs !== b.mtimeNs || a.ctimeNs !== b.ctimeNs || a.atimeNs !== b.atimeNs || a.size !== b.size
    || a.inode !== b.inode || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.allocated !== b.allocated
    || a.device !== b.device || a.links !== b.links || a.rdev !== b.rdev || a.subtree !== b.subtree
    || a.user !== b.user || a.group !== b.group || !a.name.equals(b.name) || !sameBytes(a.linkTarget, b.linkTarget)) {
    return false;
  }
  if ((a.content === undefined) !== (b.content === undefined) || !sameItems(a.content, b.content) || !sameItems(a.sizes, b.sizes)) return false;
  return sameList(a.xattrs, b.xattrs, (x, y) => x[0] === y[0] && x[1].equals(y[1]));
}

/** Absent equals empty; items compared with ===. */
function sameItems<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

/** Absent equals empty (as the tree codec writes xattrs and sizes), else item by item. */
function sameList<T>(a: readonly T[] | undefined, b: readonly T[] | undefined, eq: (x: T, y: T) => boolean): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => eq(v, y[i]!));
}

/** Size, mtime, ctime and inode unchanged: the content need not be read again. */
export function unchanged(old: Node | undefined, now: { size: number; mtimeNs: bigint; ctimeNs: bigint; inode: number }): old is Node {
  return old !== undefined && old.type === 'file' && old.content !== undefined && old.size === now.size
    && old.mtimeNs === now.mtimeNs && old.ctimeNs === now.ctimeNs && old.inode === now.inode;
}
