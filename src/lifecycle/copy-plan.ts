/**
 * What copying one directory takes: each entry of its source tree either taken as it is from the earlier copy
 * (copy-base.ts), or decoded and given its destination ids from what the earlier copy tells, or left to copy (a
 * file whose content, a subdirectory whose tree, is not known yet).
 */
import type { Node } from '../snapshot/node.js';
import type { TreeSpans } from '../snapshot/fs/tree-spans.js';
import type { DirBase, TreeBase } from './copy-base.js';

export interface TreePlan {
  /** Per entry: the number of the earlier copy's entry taken as it is, or the entry as a node (final or to copy). */
  readonly out: (Node | number)[];
  /** Entries left to copy (files and directories, in the tree's order), and what the earlier copy tells of each. */
  readonly todo: number[];
  readonly hints: Map<number, DirBase>;
}

/** The plan of copying `tree` from `base`. */
export function planTree(tree: TreeSpans, base: TreeBase | undefined): TreePlan {
  const plan: TreePlan = { out: new Array<Node | number>(tree.count), todo: [], hints: new Map() };
  const made = base?.made;
  let j = 0;
  for (let i = 0; i < tree.count; i++) {
    let match = -1;
    if (made !== undefined) {
      const earlier = made.src;
      while (j < earlier.count && earlier.compareName(j, tree, i) < 0) j++;
      if (j < earlier.count && earlier.compareName(j, tree, i) === 0) match = j;
      if (match >= 0 && tree.sameEntry(i, earlier, match)) {
        plan.out[i] = match;
        continue;
      }
    }
    const hint = base === undefined ? undefined : match >= 0 ? base.entry(match) : base.full();
    plan.out[i] = place(plan, i, tree.decode(i), hint);
  }
  return plan;
}

/** Entry i as the copy will have it, when the earlier copy gives its ids; else queued to copy, as it is. */
function place(plan: TreePlan, i: number, n: Node, hint: DirBase | undefined): Node {
  if (n.subtree !== undefined) {
    const pair = hint?.subtree(n);
    if (pair?.src === n.subtree) return { ...n, subtree: pair.dst };
  } else if (n.content !== undefined && n.content.length > 0) {
    const c = hint?.content(n);
    if (c) return { ...n, content: c.content, sizes: c.sizes };
  } else return n;
  plan.todo.push(i);
  if (hint !== undefined) plan.hints.set(i, hint);
  return n;
}
