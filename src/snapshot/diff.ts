/** Differences between two snapshot trees, skipping identical subtrees without loading them. */
import type { BlobId } from '../core/ids.js';
import type { Repository } from '../repo/repository.js';
import type { Node } from './node.js';
import { loadTree } from './trees.js';

export type Change = '+' | '-' | 'M' | 'T' | 'U';

export interface DiffEntry {
  readonly change: Change;
  readonly path: string;
}

function sameContent(a: Node, b: Node): boolean {
  const ac = a.content ?? [];
  const bc = b.content ?? [];
  return (
    a.size === b.size &&
    ac.length === bc.length &&
    ac.every((id, i) => id === bc[i]) &&
    (a.linkTarget === undefined ? b.linkTarget === undefined : b.linkTarget !== undefined && a.linkTarget.equals(b.linkTarget))
  );
}

function sameMeta(a: Node, b: Node): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.mtimeNs === b.mtimeNs;
}

export async function* diffTrees(repo: Repository, a: BlobId | undefined, b: BlobId | undefined, prefix = ''): AsyncGenerator<DiffEntry> {
  if (a === b) return;
  const left = a ? await loadTree(repo, a) : [];
  const right = b ? await loadTree(repo, b) : [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    const l = left[i];
    const r = right[j];
    const cmp = l && r ? Buffer.compare(l.name, r.name) : l ? -1 : 1;
    const node = (cmp <= 0 ? l : r)!;
    const path = `${prefix}/${node.name.toString()}`;
    if (cmp < 0) {
      yield { change: '-', path: l!.type === 'dir' ? `${path}/` : path };
      i++;
    } else if (cmp > 0) {
      yield { change: '+', path: r!.type === 'dir' ? `${path}/` : path };
      j++;
    } else {
      i++;
      j++;
      if (l!.type !== r!.type) yield { change: 'T', path };
      else if (l!.type === 'dir') {
        if (!sameMeta(l!, r!)) yield { change: 'U', path: `${path}/` };
        yield* diffTrees(repo, l!.subtree, r!.subtree, path);
      } else if (!sameContent(l!, r!)) yield { change: 'M', path };
      else if (!sameMeta(l!, r!)) yield { change: 'U', path };
    }
  }
}
