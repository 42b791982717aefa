/** A recorded file's bytes, chunk by chunk, each verified as it is opened, a few chunks loaded ahead. */
import { corrupt } from '../../core/errors.js';
import type { Repository } from '../../repo/repository.js';
import type { Node } from '../node.js';

/** Chunks loading at once ahead of the one being written (chunks are a few MiB at most). */
const AHEAD = 4;

/** The size a file's chunks add up to; CorruptData (naming `path`) when that is not the size recorded. */
export function contentSize(node: Node, path: string): number {
  const total = (node.sizes ?? []).reduce((a, b) => a + b, 0);
  if (total !== node.size || (node.content?.length ?? 0) !== (node.sizes?.length ?? 0)) throw corrupt(`the content list of ${path}`);
  return total;
}

/** Yields the plaintext of each chunk of `node` in order; a chunk of another length than recorded is CorruptData. */
export async function* fileBytes(repo: Repository, node: Node, path: string): AsyncGenerator<Uint8Array> {
  contentSize(node, path);
  const ids = node.content ?? [];
  const sizes = node.sizes ?? [];
  const loading: Promise<Uint8Array>[] = [];
  const start = (i: number): void => {
    const id = ids[i];
    if (id === undefined) return;
    const p = repo.loadBlob(id);
    p.catch(() => undefined); // awaited in its turn; not an unhandled rejection meanwhile
    loading.push(p);
  };
  for (let i = 0; i < AHEAD; i++) start(i);
  for (let i = 0; i < ids.length; i++) {
    const data = await (loading.shift() as Promise<Uint8Array>);
    start(i + AHEAD);
    if (data.length !== sizes[i]) throw corrupt(`chunk ${i} of ${path}`);
    yield data;
  }
}
