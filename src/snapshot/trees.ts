/** Loading and saving tree blobs through a repository. */
import type { BlobId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import type { BlobLocation } from '../core/types.js';
import type { Repository } from '../repo/repository.js';
import { decodeTree } from './fs/tree-codec.js';
import type { Node } from './node.js';
import { joinPath } from './path.js';

export async function loadTree(repo: Repository, id: BlobId, loc?: BlobLocation): Promise<Node[]> {
  return decodeTree(await repo.loadBlob(id, loc));
}

/** Walk a snapshot tree depth-first, yielding each node with its path relative to the root ('/'-joined bytes). */
export async function* walkTree(
  repo: Repository,
  root: BlobId,
  prefix: Buffer = Buffer.alloc(0),
): AsyncGenerator<{ path: Buffer; node: Node }> {
  for (const node of await loadTree(repo, root)) {
    const path = joinPath(prefix, node.name);
    yield { path, node };
    if (node.type === 'dir' && node.subtree) yield* walkTree(repo, node.subtree, path);
  }
}

/** Find the node at `path` ('/a/b') in a tree, or undefined. */
export async function findNode(repo: Repository, root: BlobId, path: string): Promise<Node | undefined> {
  const parts = path.split('/').filter((p) => p !== '');
  let tree = root;
  let found: Node | undefined;
  for (const [i, part] of parts.entries()) {
    const name = Buffer.from(part);
    found = (await loadTree(repo, tree)).find((n) => n.name.equals(name));
    if (!found) return undefined;
    if (found.type === 'dir' && found.subtree) tree = found.subtree;
    else if (i < parts.length - 1) return undefined;
  }
  return found;
}

/** The root directory of a snapshot, which has no node of its own: a directory of the snapshot's time. */
export function snapshotRoot(snap: Snapshot): Node {
  const mtimeNs = BigInt(Date.parse(snap.time)) * 1_000_000n;
  return {
    name: Buffer.from('/'),
    type: 'dir',
    mode: 0o755,
    uid: 0,
    gid: 0,
    mtimeNs,
    atimeNs: mtimeNs,
    ctimeNs: mtimeNs,
    size: 0,
    allocated: 0,
    device: 0,
    inode: 0,
    links: 1,
    subtree: snap.tree,
  };
}
