/** What a restore will create: every selected entry of a snapshot, and where each file's blobs live. */
import type { BlobId, PackId } from '../../core/ids.js';
import type { BlobLocation } from '../../core/types.js';
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';
import { loadTree } from '../trees.js';

export interface PlannedEntry {
  /** Path relative to the snapshot root, '/'-separated, starting with '/'. */
  readonly path: Buffer;
  readonly node: Node;
}

export interface Selection {
  /** Entries (and everything below them) to restore; all when absent. */
  readonly include?: ((path: string) => boolean) | undefined;
  /** Entries (and everything below them) to skip; wins over include. */
  readonly exclude?: ((path: string) => boolean) | undefined;
}

const TREE_LOADS = 16;

/** Every tree below `root`, loaded breadth-first with bounded concurrency. */
async function loadAllTrees(repo: Repository, root: BlobId): Promise<Map<BlobId, Node[]>> {
  const trees = new Map<BlobId, Node[]>();
  let level: BlobId[] = [root];
  while (level.length > 0) {
    const next: BlobId[] = [];
    for (let i = 0; i < level.length; i += TREE_LOADS) {
      const batch = level.slice(i, i + TREE_LOADS).filter((id) => !trees.has(id));
      const loaded = await Promise.all(batch.map((id) => loadTree(repo, id)));
      batch.forEach((id, k) => {
        trees.set(id, loaded[k]!);
        for (const n of loaded[k]!) if (n.type === 'dir' && n.subtree && !trees.has(n.subtree)) next.push(n.subtree);
      });
    }
    level = [...new Set(next)];
  }
  return trees;
}

/** Depth-first list of the entries to restore, parents before children; directories leading to selected entries are kept. */
export async function planEntries(repo: Repository, root: BlobId, sel: Selection = {}): Promise<PlannedEntry[]> {
  const trees = await loadAllTrees(repo, root);
  const out: PlannedEntry[] = [];
  const visit = (tree: BlobId, prefix: Buffer, parentIncluded: boolean): boolean => {
    let any = false;
    for (const node of trees.get(tree) ?? []) {
      const path = Buffer.concat([prefix, Buffer.from('/'), node.name]);
      const str = path.toString();
      if (sel.exclude?.(str)) continue;
      const included = parentIncluded || !sel.include || sel.include(str);
      if (node.type === 'dir' && node.subtree) {
        const at = out.length;
        out.push({ path, node });
        const inner = visit(node.subtree, path, included);
        if (!included && !inner) out.splice(at, 1);
        any ||= included || inner;
      } else if (included) {
        out.push({ path, node });
        any = true;
      }
    }
    return any;
  };
  visit(root, Buffer.alloc(0), false);
  return out;
}

export interface BlobUse {
  readonly file: number;
  readonly offset: number;
}

export interface PackPlan {
  readonly pack: PackId;
  readonly blobs: Map<BlobId, { loc: BlobLocation; uses: BlobUse[] }>;
}

/** Group every blob of the selected files by pack, so each pack is fetched once. */
export async function planPacks(repo: Repository, files: readonly PlannedEntry[]): Promise<{ packs: PackPlan[]; missing: Set<number> }> {
  const uses = new Map<BlobId, BlobUse[]>();
  files.forEach((f, i) => {
    let offset = 0;
    const sizes = f.node.sizes ?? [];
    (f.node.content ?? []).forEach((id, j) => {
      const list = uses.get(id) ?? [];
      list.push({ file: i, offset });
      uses.set(id, list);
      offset += sizes[j] ?? 0;
    });
  });
  const ids = [...uses.keys()];
  const locs = await repo.index.lookupMany(ids);
  const packs = new Map<PackId, PackPlan>();
  const missing = new Set<number>();
  ids.forEach((id, i) => {
    const loc = locs[i];
    const u = uses.get(id)!;
    if (!loc) {
      for (const x of u) missing.add(x.file);
      return;
    }
    const plan = packs.get(loc.pack) ?? { pack: loc.pack, blobs: new Map() };
    plan.blobs.set(id, { loc, uses: u });
    packs.set(loc.pack, plan);
  });
  return { packs: [...packs.values()], missing };
}
