/** stats: sizes and compression of what the snapshots reference, and how the repository stores it. */
import { extensionOf } from '../codec/extension.js';
import type { BlobId } from '../core/ids.js';
import { BlobType, PackKind } from '../core/types.js';
import type { Repository } from '../repo/repository.js';
import type { Node } from '../snapshot/node.js';
import { listSnapshots } from '../repo/snapshots.js';
import { BitSet } from './bit-set.js';
import { loadIndexView, type IndexView } from './index-view.js';
import { short, walkSnapshots } from './tree-walker.js';

export interface SizeFigure {
  /** Plaintext bytes. */
  raw: number;
  /** Stored (compressed and sealed) bytes. */
  stored: number;
}

export interface ExtensionStats extends SizeFigure {
  readonly extension: string;
  files: number;
}

export interface RepoStats {
  readonly snapshots: number;
  /** File entries summed over all snapshots. */
  readonly files: number;
  /** Plaintext bytes of the distinct data blobs referenced. */
  readonly uniqueBytes: number;
  /** Stored bytes of those blobs. */
  readonly uniqueStoredBytes: number;
  /** Sum of the sizes of all indexed packs. */
  readonly storedBytes: number;
  /** uniqueBytes / uniqueStoredBytes. */
  readonly compressionRatio: number;
  readonly packs: Record<'normal' | 'degenerate' | 'tree', { count: number; bytes: number }>;
  /** Per file extension ('' = none), largest first; each distinct blob counted once. */
  readonly extensions: readonly ExtensionStats[];
}

const KIND_NAMES = { [PackKind.normal]: 'normal', [PackKind.degenerate]: 'degenerate', [PackKind.tree]: 'tree' } as const;

/** The figures; a tree that cannot be loaded is left out of them and handed to `onProblem` as one line. */
export async function repositoryStats(repo: Repository, onProblem: (line: string) => void = () => undefined): Promise<RepoStats> {
  const view = await loadIndexView(repo.backend, repo.sealer);
  const snapshots = await listSnapshots(repo);
  const tally = new Tally(view);
  await walkSnapshots(repo, view, snapshots, {
    problem: (_id, what, use) => onProblem(`snapshot ${short(use.snapshot.id)}: ${use.path}: ${what}`),
    tree: (id, nodes) => tally.tree(id, nodes),
  });
  const packs = packTotals(view);
  const unique = tally.unique;
  return {
    snapshots: snapshots.length,
    files: countFiles(
      snapshots.map((s) => s.tree),
      tally.trees,
    ),
    uniqueBytes: unique.raw,
    uniqueStoredBytes: unique.stored,
    storedBytes: packs.normal.bytes + packs.degenerate.bytes + packs.tree.bytes,
    compressionRatio: unique.stored > 0 ? unique.raw / unique.stored : 1,
    packs,
    extensions: [...tally.exts.values()].sort((a, b) => b.raw - a.raw || a.extension.localeCompare(b.extension)),
  };
}

interface TreeCount {
  files: number;
  subtrees: BlobId[];
}

/** What the walk gathers: the files and subtrees of each tree, and the distinct data blobs per extension and in all. */
class Tally {
  readonly trees = new Map<BlobId, TreeCount>();
  readonly exts = new Map<string, ExtensionStats>();
  readonly unique: SizeFigure = { raw: 0, stored: 0 };
  readonly #view: IndexView;
  /** The record of each blob counted (its first with type data). */
  readonly #counted: BitSet;

  constructor(view: IndexView) {
    this.#view = view;
    this.#counted = new BitSet(view.blobs.size);
  }

  tree(id: BlobId, nodes: readonly Node[]): void {
    const entry: TreeCount = { files: 0, subtrees: [] };
    for (const n of nodes) {
      if (n.type === 'dir' && n.subtree) entry.subtrees.push(n.subtree);
      if (n.type !== 'file') continue;
      entry.files++;
      this.#file(n);
    }
    this.trees.set(id, entry);
  }

  /** Counts a file under its extension, and its data blobs not counted before. */
  #file(n: Node): void {
    const ext = extensionOf(n.name);
    let e = this.exts.get(ext);
    if (!e) this.exts.set(ext, (e = { extension: ext, files: 0, raw: 0, stored: 0 }));
    e.files++;
    const blobs = this.#view.blobs;
    for (const blob of n.content ?? []) {
      const r = blobs.findOfType(blob, BlobType.data);
      if (r < 0 || !this.#counted.add(r)) continue;
      for (const f of [e, this.unique]) {
        f.raw += blobs.rawLengthOf(r);
        f.stored += blobs.lengthOf(r);
      }
    }
  }
}

/** The number and bytes of the indexed packs of each kind. */
function packTotals(view: IndexView): RepoStats['packs'] {
  const packs = { normal: { count: 0, bytes: 0 }, degenerate: { count: 0, bytes: 0 }, tree: { count: 0, bytes: 0 } };
  for (const p of view.packs) {
    const k = packs[KIND_NAMES[p.kind]];
    k.count++;
    k.bytes += p.size;
  }
  return packs;
}

/** File entries below each root, with shared subtrees counted once per occurrence (memoised). */
function countFiles(roots: readonly BlobId[], trees: ReadonlyMap<BlobId, TreeCount>): number {
  const memo = new Map<BlobId, number>();
  const count = (id: BlobId): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const t = trees.get(id);
    const n = t ? t.files + t.subtrees.reduce((s, sub) => s + count(sub), 0) : 0;
    memo.set(id, n);
    return n;
  };
  return roots.reduce((s, r) => s + count(r), 0);
}
