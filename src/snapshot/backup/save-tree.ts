/** Storing a directory's entries as a tree blob. */
import type { BlobId } from '../../core/ids.js';
import { BlobType } from '../../core/types.js';
import type { BlobPool } from '../../repo/blob-pool.js';
import { encodeTree } from '../fs/tree-codec.js';
import type { Node } from '../node.js';
import type { BlobSink } from './file-saver.js';

/** The tree blob listing `entries`, stored unless the repository (or this run) has it already. */
export async function saveTree(pool: BlobPool, saver: BlobSink, entries: readonly Node[]): Promise<BlobId> {
  const r = await pool.seal({ data: encodeTree(entries), level: 3 });
  if (!(await saver.has(r.id)) && saver.claim(r.id)) await saver.saveSmall(BlobType.tree, r.id, r.sealed, r.rawLength);
  return r.id;
}
