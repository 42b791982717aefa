/** The parent snapshot's directory listings, loaded lazily as the walk enters matching directories. */
import type { BlobId } from '../../core/ids.js';
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';
import type { ScannedNode } from '../fs/scan.js';
import type { BlobLocation } from '../../core/types.js';
import { decodeTree } from '../fs/tree-codec.js';
import { TreeAhead } from '../tree-ahead.js';
import { searchByName } from '../../core/bytes.js';

/**
 * A parent snapshot's directory: its tree id, its entries in tree order (sorted strictly by name
 * bytes, as decodeTree checks), and where the next lookup is expected (the walk asks in name order).
 */
export type ParentDir = { readonly tree: BlobId; readonly entries: readonly Node[]; next: number } | undefined;

/**
 * Loads the parent snapshot's directories for a walk. When the walk enters a directory, the trees
 * of its subdirectories are queued and a few of them read ahead (located with one index lookup per
 * batch), so the walk rarely waits for a tree and memory holds a few directories, not the snapshot.
 * Trees read ahead are kept as bytes and decoded when the walk enters them: decoded, the nodes of
 * 16 directories outlived the young generation, and their promotion was most of the collector's
 * work in an unchanged re-backup.
 */
export class ParentTrees {
  readonly #ahead = new TreeAhead<Uint8Array | undefined>((ids) => this.#loadMany(ids));

  constructor(private readonly repo: Repository) {}

  /** The directory listed by `tree`; undefined when there is none or it cannot be read (the walk then reads everything). */
  async dir(tree: BlobId | undefined): Promise<ParentDir> {
    if (tree === undefined) return undefined;
    const dir = decoded(tree, await this.#ahead.take(tree));
    // Only directories the walk enters read ahead: a subtree that is gone from disk is not loaded.
    if (dir !== undefined) this.#ahead.upcoming(subtreesOf(dir.entries));
    return dir;
  }

  #loadMany(ids: readonly BlobId[]): Promise<Uint8Array | undefined>[] {
    const located = this.repo.index.lookupMany(ids);
    return ids.map((id, i) =>
      located.then(
        (locs) => this.#load(id, locs[i]),
        () => this.#load(id, undefined),
      ),
    );
  }

  async #load(tree: BlobId, loc: BlobLocation | undefined): Promise<Uint8Array | undefined> {
    try {
      return await this.repo.loadBlob(tree, loc);
    } catch {
      return undefined;
    }
  }
}

function decoded(tree: BlobId, bytes: Uint8Array | undefined): ParentDir {
  if (bytes === undefined) return undefined;
  try {
    return { tree, entries: decodeTree(bytes), next: 0 };
  } catch {
    return undefined;
  }
}

function subtreesOf(nodes: readonly Node[]): BlobId[] {
  const out: BlobId[] = [];
  for (const n of nodes) if (n.subtree !== undefined) out.push(n.subtree);
  return out;
}

/** The parent's entry named `name`: the one after the last found when asked in order, else by binary search. */
export function parentEntry(dir: ParentDir, name: Buffer): Node | undefined {
  if (dir === undefined) return undefined;
  const nodes = dir.entries;
  const guess = nodes[dir.next];
  if (guess !== undefined && guess.name.equals(name)) {
    dir.next++;
    return guess;
  }
  const at = searchByName(nodes, name, nameOf);
  dir.next = at >= 0 ? at + 1 : -at - 1;
  return at >= 0 ? nodes[at] : undefined;
}

const nameOf = (n: Node): Buffer => n.name;

/**
 * The parent's tree id when `nodes` would encode to exactly the parent's tree (same entries,
 * every recorded field equal): the tree need not be encoded, hashed, sealed or looked up again.
 */
export function sameTree(dir: ParentDir, nodes: readonly Node[]): BlobId | undefined {
  if (dir === undefined || dir.entries.length !== nodes.length) return undefined;
  return dir.entries.every((old, i) => sameNode(old, nodes[i] as Node)) ? dir.tree : undefined;
}

function sameNode(a: Node, b: Node): boolean {
  if (a === b) return true;
  if (a.subtree !== b.subtree || !sameScan(a, b)) return false;
  return (a.content === undefined) === (b.content === undefined) && sameItems(a.content, b.content) && sameItems(a.sizes, b.sizes);
}

/**
 * Every field a scan gives (all but content, sizes and subtree) equal, as the tree codec would
 * write them: a node that passes can stand for the scanned entry in the new snapshot.
 */
export function sameScan(a: Node, b: ScannedNode): boolean {
  return (
    a.type === b.type &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    a.atimeNs === b.atimeNs &&
    a.size === b.size &&
    a.inode === b.inode &&
    a.mode === b.mode &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.allocated === b.allocated &&
    a.device === b.device &&
    a.links === b.links &&
    a.rdev === b.rdev &&
    a.user === b.user &&
    a.group === b.group &&
    a.name.equals(b.name) &&
    sameBytes(a.linkTarget, b.linkTarget) &&
    sameList(a.xattrs, b.xattrs, (x, y) => x[0] === y[0] && x[1].equals(y[1]))
  );
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
  return (
    old !== undefined &&
    old.type === 'file' &&
    old.content !== undefined &&
    old.size === now.size &&
    old.mtimeNs === now.mtimeNs &&
    old.ctimeNs === now.ctimeNs &&
    old.inode === now.inode
  );
}
