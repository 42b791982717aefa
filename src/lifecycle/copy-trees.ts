/**
 * A source tree re-encoded for the destination: blob ids are keyed by each repository's id key (FORMAT §6), so every
 * content and subtree id of a copied tree changes, and so does the tree's own id. Trees and files met again (in
 * this snapshot or an earlier one of the run) are mapped from memory instead of being read again.
 */
import { createHash } from 'node:crypto';
import type { BlobId } from '../core/ids.js';
import { BlobType, type BlobLocation } from '../core/types.js';
import { encodeTree, decodeTree } from '../snapshot/fs/tree-codec.js';
import type { Node } from '../snapshot/node.js';
import { forEachLimited } from '../repo/for-each-limited.js';
import { ContentCopier, type Content, type ContentDeps } from './copy-content.js';

/** Files of one directory copied at once (a large file waits for its turn). */
const FILES_AT_ONCE = 8;
const TREE_LEVEL = 3;

export class TreeCopier {
  /** Source tree id → destination tree id. */
  readonly #trees = new Map<BlobId, Promise<BlobId>>();
  /** Source content (its ids) → destination content. */
  readonly #files = new Map<string, Promise<Content>>();
  readonly #content: ContentCopier;

  constructor(
    private readonly d: ContentDeps,
    private readonly signal?: AbortSignal,
  ) {
    this.#content = new ContentCopier(d);
  }

  /** The destination id of source tree `id`, with everything below it stored in the destination. */
  tree(id: BlobId): Promise<BlobId> {
    let p = this.#trees.get(id);
    if (!p) this.#trees.set(id, (p = this.#tree(id)));
    return p;
  }

  async #tree(id: BlobId): Promise<BlobId> {
    this.signal?.throwIfAborted();
    const loc: BlobLocation = await this.d.src.locate(id);
    const nodes = decodeTree(await this.d.read(id, loc));
    const out: Node[] = [...nodes];
    // Files first, several at once; then subdirectories one at a time, so only one directory's files are in flight.
    const files = [...nodes.entries()].filter(([, n]) => n.content && n.content.length > 0);
    await forEachLimited(files, FILES_AT_ONCE, async ([i, n]) => {
      const c = await this.#file(n.content ?? [], n.sizes ?? []);
      out[i] = { ...n, content: c.content, sizes: c.sizes };
    });
    for (const [i, n] of nodes.entries()) {
      if (n.subtree !== undefined) out[i] = { ...n, subtree: await this.tree(n.subtree) };
    }
    return this.#store(encodeTree(out));
  }

  #file(ids: readonly BlobId[], sizes: readonly number[]): Promise<Content> {
    const [first] = ids;
    const key = ids.length === 1 && first !== undefined ? first : `h${createHash('sha256').update(ids.join(',')).digest('hex')}`;
    let p = this.#files.get(key);
    if (!p) this.#files.set(key, (p = this.#content.copy(ids, sizes)));
    return p;
  }

  async #store(bytes: Uint8Array): Promise<BlobId> {
    const id = await this.d.pool.hash(bytes);
    if (!(await this.d.saver.has(id)) && this.d.saver.claim(id)) {
      const s = await this.d.pool.seal({ data: bytes, id, level: TREE_LEVEL });
      await this.d.saver.saveSmall(BlobType.tree, id, s.sealed, s.rawLength);
      this.d.counters.blobsWritten++;
      this.d.counters.bytesWritten += s.sealed.length;
    }
    return id;
  }
}
