/** The history of one path read from snapshot trees (for `rozen history`): one walk down the path per snapshot. */
import { RozenError } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import type { Snapshot } from '../core/snapshot.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import { collapseVersions, covers, type PathVersion } from './history.js';
import type { Node } from './node.js';

/** Trees loaded at once. */
const LOADS = 16;

/** Loads a tree's entries (sorted by name bytes). */
export type TreeLoader = (id: BlobId) => Promise<readonly Node[]>;

/** The path's components ('/a/b' -> ["a", "b"]); empty components and `.` are dropped, `..` is refused. */
export function pathParts(path: string): Buffer[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new RozenError('InvalidArgument', `a path with .. (${path}): give it as the snapshots record it`);
  return parts.map((p) => Buffer.from(p));
}

/**
 * The versions of `path` over `snapshots` (oldest first) that backed it up (see `covers`). Every distinct
 * (tree, name) step is looked up once, so snapshots sharing unchanged directories cost one load for them.
 */
export async function pathHistory(load: TreeLoader, snapshots: readonly Snapshot[], path: string): Promise<PathVersion<Snapshot>[]> {
  const parts = pathParts(path);
  const text = `/${parts.map((p) => p.toString('utf8')).join('/')}`;
  const steps = new Map<string, Promise<Node | undefined>>();
  const step = (tree: BlobId, name: Buffer): Promise<Node | undefined> => {
    const key = `${tree}/${name.toString('hex')}`;
    let found = steps.get(key);
    if (found === undefined) steps.set(key, (found = load(tree).then((nodes) => nodes.find((n) => n.name.equals(name)))));
    return found;
  };
  const covering = snapshots.filter((s) => covers(s, text));
  const nodes = new Map<Snapshot, Node | undefined>();
  await forEachLimited(covering, LOADS, async (s) => void nodes.set(s, await nodeAt(step, s.tree, parts)));
  return collapseVersions(covering.map((snapshot) => ({ snapshot, node: nodes.get(snapshot), item: snapshot })));
}

async function nodeAt(
  step: (tree: BlobId, name: Buffer) => Promise<Node | undefined>,
  root: BlobId,
  parts: readonly Buffer[],
): Promise<Node | undefined> {
  let tree: BlobId | undefined = root;
  let node: Node | undefined;
  for (const part of parts) {
    if (tree === undefined) return undefined;
    node = await step(tree, part);
    if (node === undefined) return undefined;
    tree = node.type === 'dir' ? node.subtree : undefined;
  }
  return node;
}
