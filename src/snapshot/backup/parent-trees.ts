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
  return a.name.equals(b.name) && a.type === b.type && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid
    && a.user === b.user && a.group === b.group && a.mtimeNs === b.mtimeNs && a.atimeNs === b.atimeNs
    && a.ctimeNs === b.ctimeNs && a.size === b.size && a.allocated === b.allocated && a.device === b.device
    && a.inode === b.inode && a.links === b.links && a.rdev === b.rdev && a.subtree === b.subtree
    && sameBytes(a.linkTarget, b.linkTarget)
    && (a.content === undefined) === (b.content === undefined) && sameList(a.content, b.content, (x, y) => x === y)
    && sameList(a.sizes, b.sizes, (x, y) => x === y)
    && sameList(a.xattrs, b.xattrs, (x, y) => x[0] === y[0] && x[1].equals(y[1]));
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
