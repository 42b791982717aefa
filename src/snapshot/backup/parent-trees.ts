/** The parent snapshot's directory listings, loaded lazily as the walk enters matching directories. */
import type { BlobId } from '../../core/ids.js';
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';
import { loadTree } from '../trees.js';

export type ParentDir = ReadonlyMap<string, Node> | undefined;

const key = (name: Buffer): string => name.toString('latin1');

export async function parentDir(repo: Repository, tree: BlobId | undefined): Promise<ParentDir> {
  if (tree === undefined) return undefined;
  try {
    return new Map((await loadTree(repo, tree)).map((n) => [key(n.name), n]));
  } catch {
    return undefined;
  }
}

export function parentEntry(dir: ParentDir, name: Buffer): Node | undefined {
  return dir?.get(key(name));
}

/** Size, mtime, ctime and inode unchanged: the content need not be read again. */
export function unchanged(old: Node | undefined, now: { size: number; mtimeNs: bigint; ctimeNs: bigint; inode: number }): old is Node {
  return old !== undefined && old.type === 'file' && old.content !== undefined && old.size === now.size
    && old.mtimeNs === now.mtimeNs && old.ctimeNs === now.ctimeNs && old.inode === now.inode;
}
