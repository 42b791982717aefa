/**
 * A source tree re-encoded for the destination: blob ids are keyed by each repository's id key (FORMAT §6), so every
 * content and subtree id of a copied tree changes, and so does the tree's own id. Where an earlier copy of the same
 * directory exists (copy-base.ts), what did not change is taken from it unread; trees and files met again within
 * the run are mapped from a bounded memory of recent ones.
 */
import { createHash } from 'node:crypto';
import type { BlobId } from '../core/ids.js';
import { BlobType, type BlobLocation } from '../core/types.js';
import { encodeEntries } from '../snapshot/fs/tree-codec.js';
import { TreeEntries, TreeSpans } from '../snapshot/fs/tree-spans.js';
import type { Node } from '../snapshot/node.js';
import { forEachLimited, forEachSpare } from '../repo/for-each-limited.js';
import { Semaphore } from '../core/semaphore.js';
import { TreeBase, type TreePair } from './copy-base.js';
import { planTree } from './copy-plan.js';
import { ContentCopier, type Content, type ContentDeps } from './copy-content.js';
import { RecentMap } from '../core/recent-map.js';
import { LRUCache } from 'lru-cache';

export type { TreePair } from './copy-base.js';

/** Files of one directory copied at once, and of all directories (a large file waits for its turn). */
const FILES_PER_DIR = 8;
const FILES_AT_ONCE = 16;
/** Directories copied beside the one on the current path: their reads and files overlap the waits of the others. */
const SPARE_DIRS = 32;
const TREE_LEVEL = 3;
/** Trees and files remembered within a run: enough for repeated directories, flat in the number of files. */
const RECENT_TREES = 4096;
const RECENT_FILES = 16384;
/**
 * Entries of the directories written in this run remembered as the bases of the next snapshot's copies: a run
 * that copies a series reads each changed directory once instead of three times (docs/DESIGN.md, "Copy").
 */
const MADE_ENTRIES = 50_000;

export interface TreeDeps extends ContentDeps {
  /** A destination tree's plaintext, authenticated (the earlier copies' trees). */
  readonly readDst: (id: BlobId) => Promise<Uint8Array>;
}

export class TreeCopier {
  /** Source tree id → destination tree id. */
  readonly #trees = new RecentMap<BlobId, Promise<BlobId>>(RECENT_TREES);
  /** Source content (its ids) → destination content. */
  readonly #files = new RecentMap<string, Promise<Content>>(RECENT_FILES);
  readonly #content: ContentCopier;
  readonly #fileSlots = new Semaphore(FILES_AT_ONCE);
  readonly #dirSlots = new Semaphore(SPARE_DIRS);
  /** Source tree id → the destination tree written for it in this run, and the two as a base. */
  readonly #made = new LRUCache<BlobId, { readonly dst: BlobId; readonly base: TreeBase }>({
    maxSize: MADE_ENTRIES,
    sizeCalculation: (m) => Math.max(1, m.base.size),
  });

  constructor(private readonly d: TreeDeps) {
    this.#content = new ContentCopier(d);
  }

  /** The destination id of source tree `id`, with everything below it stored; `base` is an earlier copy of it. */
  tree(id: BlobId, base?: TreePair): Promise<BlobId> {
    if (base?.src === id) return Promise.resolve(base.dst);
    let p = this.#trees.get(id);
    if (!p) this.#trees.set(id, (p = this.#tree(id, base)));
    return p;
  }

  async #tree(id: BlobId, base: TreePair | undefined): Promise<BlobId> {
    this.d.signal?.throwIfAborted();
    const [tree, known] = await Promise.all([this.#read(id), base && this.#base(base)]);
    const { out, files, dirs, hints } = planTree(tree, known);
    // Files first, several at once; then subdirectories, some beside this one while slots are spare.
    await forEachLimited(files, FILES_PER_DIR, async (i) => {
      const n = out[i] as Node;
      const c = await this.#file(n, hints.get(i)?.blobs(n));
      out[i] = { ...n, content: c.content, sizes: c.sizes };
    });
    await forEachSpare(dirs, this.#dirSlots, async (i) => {
      const n = out[i] as Node;
      if (n.subtree !== undefined) out[i] = { ...n, subtree: await this.tree(n.subtree, hints.get(i)?.subtree(n)) };
    });
    const { bytes, starts } = encodeEntries(out, known?.made?.dst);
    const dst = await this.#store(bytes);
    this.#made.set(id, { dst, base: TreeBase.written(tree, new TreeEntries(bytes, starts)) });
    return dst;
  }

  /** The earlier copy of a directory, as the source had it and as the destination has it. */
  async #base(base: TreePair): Promise<TreeBase> {
    const made = this.#made.get(base.src);
    if (made?.dst === base.dst) {
      // The copy about to be written supersedes it: kept, a used base would outlive those not used yet.
      this.#made.delete(base.src);
      return made.base;
    }
    const [src, dst] = await Promise.all([this.#bytes(base.src), this.d.readDst(base.dst)]);
    return TreeBase.read(src, dst);
  }

  async #read(id: BlobId): Promise<TreeSpans> {
    return new TreeSpans(await this.#bytes(id));
  }

  async #bytes(id: BlobId): Promise<Uint8Array> {
    const loc: BlobLocation = await this.d.src.locate(id);
    return this.d.read(id, loc);
  }

  #file(n: Node, known: ReadonlyMap<BlobId, BlobId> | undefined): Promise<Content> {
    const ids = n.content ?? [];
    const [first] = ids;
    const key = ids.length === 1 && first !== undefined ? first : `h${createHash('sha256').update(ids.join(',')).digest('hex')}`;
    let p = this.#files.get(key);
    if (!p) this.#files.set(key, (p = this.#copy(ids, n.sizes ?? [], known)));
    return p;
  }

  async #copy(ids: readonly BlobId[], sizes: readonly number[], known: ReadonlyMap<BlobId, BlobId> | undefined): Promise<Content> {
    const w = await this.#fileSlots.acquire(1);
    try {
      return await this.#content.copy(ids, sizes, known);
    } finally {
      this.#fileSlots.release(w);
    }
  }

  /**
   * Stores a written tree unless the destination has it, sealed in the job that hashes it: a changed directory's
   * tree is nearly always new.
   */
  async #store(bytes: Uint8Array): Promise<BlobId> {
    const s = await this.d.pool.seal({ data: bytes, level: TREE_LEVEL });
    if (!(await this.d.saver.has(s.id)) && this.d.saver.claim(s.id)) {
      await this.d.saver.saveSmall(BlobType.tree, s.id, s.sealed, s.rawLength);
      this.d.counters.blobsWritten++;
      this.d.counters.bytesWritten += s.sealed.length;
    }
    return s.id;
  }
}
