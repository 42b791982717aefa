/**
 * What an earlier copy tells about a directory being copied: the same directory in a source snapshot already
 * copied, beside its copy in the destination. Entries are paired by name; a source subtree or content met again
 * (unchanged, or renamed within the directory) maps to the destination's without being read, and a changed large
 * file copied with the source's cuts maps each unchanged blob to its destination blob.
 */
import type { BlobId } from '../core/ids.js';
import type { Node } from '../snapshot/node.js';
import type { Content } from './copy-content-types.js';
import { compareBytes, searchByName } from '../core/bytes.js';
import { decodeTree } from '../snapshot/fs/tree-codec.js';
import type { TreeEntries, TreeSpans } from '../snapshot/fs/tree-spans.js';

const itself = (name: Buffer): Buffer => name;

/** A source tree and the destination tree that is its copy. */
export interface TreePair {
  readonly src: BlobId;
  readonly dst: BlobId;
}

/** Content ids as one key: a single id as it is (most files), more joined. */
const contentKey = (ids: readonly BlobId[]): string => (ids.length === 1 ? (ids[0] as string) : ids.join(','));
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const contentOf = (n: Node): Content => ({ content: n.content ?? [], sizes: n.sizes ?? [] });

/** Whether `d` can be the copy of file `s`: both files with content of the same length. */
function sameFile(s: Node, d: Node): boolean {
  return (
    s.type === 'file' &&
    d.type === 'file' &&
    s.content !== undefined &&
    d.content !== undefined &&
    sum(s.sizes ?? []) === sum(d.sizes ?? [])
  );
}

/** A name's entry in both trees: the earlier source's subtree or content, and its copy's. */
interface Pair {
  readonly srcTree?: BlobId | undefined;
  readonly dstTree?: BlobId | undefined;
  readonly src?: Content | undefined;
  readonly dst?: Content | undefined;
}

/**
 * The pairs are kept, not the nodes: a copy remembers the DirBase of each directory it wrote (copy-trees.ts),
 * so the next snapshot's copy of that directory need not read it again.
 */
export class DirBase {
  /** Names of the paired entries, sorted by bytes as trees are, and their pairs. */
  readonly #names: Buffer[] = [];
  readonly #pairs: Pair[] = [];
  /** Earlier source subtree id → its copy. */
  readonly #trees = new Map<BlobId, BlobId>();
  /** Earlier source content (contentKey) → its copy. */
  readonly #files = new Map<string, Content>();

  /** `src` lists the directory in the earlier source snapshot, `dst` in its copy (both sorted by name bytes). */
  constructor(src: readonly Node[], dst: readonly Node[]) {
    let j = 0;
    for (const s of src) {
      while (j < dst.length && compareBytes((dst[j] as Node).name, s.name) < 0) j++;
      const d = dst[j];
      if (d === undefined || !d.name.equals(s.name)) continue;
      if (s.subtree !== undefined && d.subtree !== undefined) {
        this.#add(s.name, { srcTree: s.subtree, dstTree: d.subtree });
        this.#trees.set(s.subtree, d.subtree);
      } else if (sameFile(s, d)) {
        const pair = { src: contentOf(s), dst: contentOf(d) };
        this.#add(s.name, pair);
        this.#files.set(contentKey(pair.src.content), pair.dst);
      }
    }
  }

  /** Entries paired: what this memory holds (copy-trees.ts bounds its memory of bases by it). */
  get size(): number {
    return this.#pairs.length;
  }

  /** Where copying subdirectory `n` can start from: its earlier version under the same name, else equal ids. */
  subtree(n: Node): TreePair | undefined {
    if (n.subtree === undefined) return undefined;
    const same = this.#trees.get(n.subtree);
    if (same !== undefined) return { src: n.subtree, dst: same };
    const p = this.#pair(n.name);
    return p?.srcTree !== undefined && p.dstTree !== undefined ? { src: p.srcTree, dst: p.dstTree } : undefined;
  }

  /** The destination content of file `n`, when an earlier entry of this directory had the same content. */
  content(n: Node): Content | undefined {
    return n.content === undefined ? undefined : this.#files.get(contentKey(n.content));
  }

  /**
   * Source blob → destination blob for the earlier version of file `n` (same name), when its copy kept the
   * source's cuts: the same number of blobs with equal sizes, so blob i of both holds the same bytes of the file.
   */
  blobs(n: Node): ReadonlyMap<BlobId, BlobId> | undefined {
    const p = this.#pair(n.name);
    if (p?.src === undefined || p.dst === undefined) return undefined;
    const [si, ss, di, ds] = [p.src.content, p.src.sizes, p.dst.content, p.dst.sizes];
    if (si.length !== di.length || ss.length !== si.length || ds.length !== di.length || ss.some((x, i) => x !== ds[i])) return undefined;
    return new Map(si.map((id, i) => [id, di[i] as BlobId]));
  }

  /** Entries come in name order: pairs are appended. */
  #add(name: Buffer, pair: Pair): void {
    this.#names.push(name);
    this.#pairs.push(pair);
  }

  /** The pair of the entry named `name` (a binary search: names are sorted). */
  #pair(name: Buffer): Pair | undefined {
    const at = searchByName(this.#names, name, itself);
    return at >= 0 ? this.#pairs[at] : undefined;
  }
}

/**
 * An earlier copy of a directory as a copy starts from it. One this run wrote keeps both trees' bytes, entry i of
 * the destination's being the copy of entry i of the source's: an entry of the directory's new version equal to
 * the earlier entry of its name is that copy, taken as it is. One read from both repositories (a run's first
 * snapshot) is used through its pairs only.
 */
export class TreeBase {
  #full: DirBase | undefined;

  private constructor(
    /** The trees this run read and wrote, aligned entry by entry. */
    readonly made: { readonly src: TreeSpans; readonly dst: TreeEntries } | undefined,
    full: DirBase | undefined,
  ) {
    this.#full = full;
  }

  /** The source tree `src` a run read and the tree `dst` it wrote as its copy. */
  static written(src: TreeSpans, dst: TreeEntries): TreeBase {
    return new TreeBase({ src, dst }, undefined);
  }

  /** A source tree and its copy read from both repositories (decoded in full, so checked). */
  static read(src: Uint8Array, dst: Uint8Array): TreeBase {
    return new TreeBase(undefined, new DirBase(decodeTree(src), decodeTree(dst)));
  }

  /** Entries this memory holds. */
  get size(): number {
    return this.made?.src.count ?? this.full().size;
  }

  /** What the earlier entry j (of a made base) tells of the new entry of its name. */
  entry(j: number): DirBase {
    const m = this.made;
    return m === undefined ? this.full() : new DirBase([m.src.decode(j)], [m.dst.decode(j)]);
  }

  /** What all earlier entries tell (a renamed directory, content met under another name). */
  full(): DirBase {
    if (this.#full === undefined) {
      const m = this.made as { readonly src: TreeSpans; readonly dst: TreeEntries };
      this.#full = new DirBase(decodeTree(m.src.bytes), decodeTree(m.dst.bytes));
    }
    return this.#full;
  }
}
