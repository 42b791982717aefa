/** The restore's walk of a 200,000-file snapshot holds one run of steps and a few trees at a time, not the snapshot. */
import t from 'tap';
import type { BlobId } from '../../src/core/ids.js';
import type { Repository } from '../../src/repo/repository.js';
import { encodeTree } from '../../src/snapshot/fs/tree-codec.js';
import type { Node } from '../../src/snapshot/node.js';
import { walkSelected } from '../../src/snapshot/restore/plan.js';
import { TREES_AHEAD } from '../../src/snapshot/tree-ahead.js';

const DIRS = 200;
const FILES = 1000;
const RUN = 4096;
const idOf = (n: number): BlobId => n.toString(16).padStart(64, '0') as BlobId;
const base = { mode: 0o644, uid: 0, gid: 0, mtimeNs: 1n, atimeNs: 1n, ctimeNs: 1n, allocated: 0, device: 1, inode: 1, links: 1 };
const dir = (i: number): Node => ({
  ...base,
  name: Buffer.from(`d${String(i).padStart(4, '0')}`),
  type: 'dir',
  size: 0,
  subtree: idOf(i + 1),
});
const file = (i: number): Node => ({
  ...base,
  name: Buffer.from(`f${String(i).padStart(4, '0')}`),
  type: 'file',
  size: 1,
  content: [idOf(1e6 + i)],
  sizes: [1],
});

t.test('a run of at most RUN + depth steps at a time; at most TREES_AHEAD trees loaded ahead', async (t) => {
  let loads = 0;
  const fileTree = encodeTree(Array.from({ length: FILES }, (_, i) => file(i)));
  const repo = {
    loadBlob: async (id: BlobId): Promise<Uint8Array> => {
      loads++;
      return id === idOf(0) ? encodeTree(Array.from({ length: DIRS }, (_, i) => dir(i))) : fileTree;
    },
  } as unknown as Repository;
  let entries = 0;
  let leaves = 0;
  let largest = 0;
  let mostAhead = 0;
  await walkSelected(repo, idOf(0), {}, RUN, async (steps) => {
    largest = Math.max(largest, steps.length);
    for (const s of steps)
      if (s.kind === 'leave') leaves++;
      else entries++;
    mostAhead = Math.max(mostAhead, loads - 1 - leaves);
  });
  t.equal(entries, DIRS * (FILES + 1), 'every entry given once');
  t.equal(leaves, DIRS);
  t.ok(largest <= RUN + 2, `runs of ${largest} steps`);
  t.ok(mostAhead <= TREES_AHEAD + 1, `${mostAhead} trees loaded and not yet walked`);
});
