/** What a restore will create: every selected entry of a snapshot, and where each file's blobs live. */
import type { BlobId, PackId } from '../../core/ids.js';
import type { BlobLocation } from '../../core/types.js';
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';
import { loadTree } from '../trees.js';
import { TreeAhead } from '../tree-ahead.js';
import { joinPath } from '../path.js';

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

/** A step of the walk: an entry to create, or a created directory whose whole subtree has been walked. */
export type WalkStep = { readonly kind: 'entry' | 'leave'; readonly entry: PlannedEntry };

/**
 * The entries to restore, depth-first, parents before children, each directory's `leave` after its
 * subtree, handed to `take` in runs of about `run` steps (it is awaited before the walk goes on).
 * A directory is given only once something below it is selected (or it is itself), so directories
 * leading to selected entries are kept and others are not created. Trees are loaded a few ahead
 * of the walk and dropped behind it: memory holds the path being walked, not the snapshot.
 */
export async function walkSelected(
  repo: Repository,
  root: BlobId,
  sel: Selection,
  run: number,
  take: (steps: WalkStep[]) => Promise<void>,
): Promise<void> {
  const ahead = new TreeAhead((ids) => ids.map((id) => loadTree(repo, id)));
  const w: Walk = { ahead, sel, open: [], given: 0, steps: [], run, take };
  await visit(w, root, Buffer.alloc(0), false);
  if (w.steps.length > 0) await take(w.steps);
}

interface Walk {
  readonly ahead: TreeAhead<Node[]>;
  readonly sel: Selection;
  /** The directories being walked, outermost first. */
  readonly open: PlannedEntry[];
  /** How many of `open` have been given (a prefix of them). */
  given: number;
  steps: WalkStep[];
  readonly run: number;
  readonly take: (steps: WalkStep[]) => Promise<void>;
}

async function visit(w: Walk, tree: BlobId, prefix: Buffer, parentIncluded: boolean): Promise<void> {
  const entries = (await w.ahead.take(tree))
    .map((node) => ({ path: joinPath(prefix, node.name), node }))
    .filter((e) => !w.sel.exclude?.(e.path.toString()));
  w.ahead.upcoming(entries.flatMap((e) => (e.node.type === 'dir' && e.node.subtree ? [e.node.subtree] : [])));
  for (const entry of entries) {
    const included = parentIncluded || !w.sel.include || w.sel.include(entry.path.toString());
    const subtree = entry.node.type === 'dir' ? entry.node.subtree : undefined;
    if (subtree === undefined) {
      if (included) giveOpen(w, entry);
    } else {
      w.open.push(entry);
      if (included) giveOpen(w);
      await visit(w, subtree, entry.path, included);
      w.open.pop();
      if (w.given > w.open.length) {
        w.given = w.open.length;
        w.steps.push({ kind: 'leave', entry });
      }
    }
    if (w.steps.length >= w.run) {
      const steps = w.steps;
      w.steps = [];
      await w.take(steps);
    }
  }
}

/** Gives the open directories not given yet, then `entry`. */
function giveOpen(w: Walk, entry?: PlannedEntry): void {
  for (; w.given < w.open.length; w.given++) w.steps.push({ kind: 'entry', entry: w.open[w.given]! });
  if (entry) w.steps.push({ kind: 'entry', entry });
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
