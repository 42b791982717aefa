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
import { Semaphore } from '../core/semaphore.js';
import { TreeBase, type TreePair } from './copy-base.js';
import { planTree } from './copy-plan.js';
import { ContentCopier, type Content, type ContentDeps } from './copy-content.js';
import { RecentMap } from '../core/recent-map.js';
import { TreeAhead } from '../snapshot/tree-ahead.js';
import { LRUCache } from 'lru-cache';

export type { TreePair } from './copy-base.js';

/**
 * Files copied at once. They are started in the order the backup stored them, depth first and by name, so the copy
 * reads the source's packs about in order: directories copied side by side would each read from their own packs,
 * more of them than a pack cache holds on a large tree (docs/DESIGN.md, "Copy").
 */
const FILES_AT_ONCE = 16;
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
  /** A source tree's plaintext, authenticated. */
  readonly readTree: (id: BlobId, loc: BlobLocation) => Promise<Uint8Array>;
  /** A destination tree's plaintext, authenticated (the earlier copies' trees). */
  readonly readDst: (id: BlobId) => Promise<Uint8Array>;
}

/** A directory being copied: its entries all started (`started`), and its destination tree id once stored (`done`). */
interface Started {
  readonly started: Promise<void>;
  readonly done: Promise<BlobId>;
}

/** A directory whose entries have all been started: what its tree is written from once they are done. */
interface Open {
  readonly tree: TreeSpans;
  readonly known: TreeBase | undefined;
  readonly out: (Node | number)[];
  readonly parts: Promise<void>[];
}

const STARTED = Promise.resolve();

export class TreeCopier {
  /** Source tree id → destination tree id. */
  readonly #trees = new RecentMap<BlobId, Promise<BlobId>>(RECENT_TREES);
  /** Source content (its ids) → destination content. */
  readonly #files = new RecentMap<string, Promise<Content>>(RECENT_FILES);
  readonly #content: ContentCopier;
  readonly #fileSlots = new Semaphore(FILES_AT_ONCE);
  /** Source tree id → the destination tree written for it in this run, and the two as a base. */
  readonly #made = new LRUCache<BlobId, { readonly dst: BlobId; readonly base: TreeBase }>({
    maxSize: MADE_ENTRIES,
    sizeCalculation: (m) => Math.max(1, m.base.size),
  });
  /** Files and directories started and not settled yet, and the first failure among them. */
  readonly #running = new Set<Promise<unknown>>();
  #failure: { readonly err: unknown } | undefined;
  /** Source trees read ahead of the walk of the snapshot being copied. */
  #ahead = this.#treesAhead();

  constructor(private readonly d: TreeDeps) {
    this.#content = new ContentCopier(d);
  }

  /**
   * The destination id of source tree `id`, with everything below it stored; `base` is an earlier copy of it. On a
   * failure it rejects once all work started has settled, so a caller cleaning up never races a copy still at work.
   */
  async tree(id: BlobId, base?: TreePair): Promise<BlobId> {
    this.#ahead = this.#treesAhead();
    try {
      const dir = this.#dir(id, base);
      await dir.started;
      return await dir.done;
    } catch (err) {
      this.#failure ??= { err };
      while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
      throw this.#failure.err;
    }
  }

  #dir(id: BlobId, base: TreePair | undefined): Started {
    if (base?.src === id) return { started: STARTED, done: Promise.resolve(base.dst) };
    const known = this.#trees.get(id);
    if (known) return { started: STARTED, done: known };
    const open = this.#open(id, base);
    const done = this.#track(open.then((o) => this.#close(id, o)));
    this.#trees.set(id, done);
    return { started: open.then(() => undefined), done };
  }

  /** Reads a directory and starts copying its entries in order, a subdirectory's entries before the next entry's. */
  async #open(id: BlobId, base: TreePair | undefined): Promise<Open> {
    this.#check();
    const [tree, known] = await Promise.all([this.#read(id), base && this.#base(base)]);
    const { out, todo, hints } = planTree(tree, known);
    this.#ahead.upcoming(todo.flatMap((i) => (out[i] as Node).subtree ?? []));
    const parts: Promise<void>[] = [];
    for (const i of todo) {
      const n = out[i] as Node;
      const hint = hints.get(i);
      if (n.subtree !== undefined) {
        const sub = this.#dir(n.subtree, hint?.subtree(n));
        parts.push(quiet(sub.done.then((d) => void (out[i] = { ...n, subtree: d }))));
        await sub.started;
      } else {
        const file = await this.#file(n, hint?.blobs(n));
        parts.push(quiet(file.done.then((c) => void (out[i] = { ...n, content: c.content, sizes: c.sizes }))));
      }
    }
    return { tree, known, out, parts };
  }

  /** Writes a directory's tree once every entry started for it is done. */
  async #close(id: BlobId, { tree, known, out, parts }: Open): Promise<BlobId> {
    await Promise.all(parts);
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
    return new TreeSpans(await this.#ahead.take(id));
  }

  #treesAhead(): TreeAhead<Uint8Array> {
    return new TreeAhead((ids) => ids.map((id) => this.#bytes(id)));
  }

  async #bytes(id: BlobId): Promise<Uint8Array> {
    const loc: BlobLocation = await this.d.src.locate(id);
    return this.d.readTree(id, loc);
  }

  /** A file's copy, started (once a slot is free) unless the same content was met shortly before. */
  async #file(n: Node, known: ReadonlyMap<BlobId, BlobId> | undefined): Promise<{ readonly done: Promise<Content> }> {
    const ids = n.content ?? [];
    const [first] = ids;
    const key = ids.length === 1 && first !== undefined ? first : `h${createHash('sha256').update(ids.join(',')).digest('hex')}`;
    let p = this.#files.get(key);
    if (!p) {
      const slot = await this.#fileSlots.acquire(1);
      try {
        this.#check();
      } catch (err) {
        this.#fileSlots.release(slot);
        throw err;
      }
      p = this.#track(this.#content.copy(ids, n.sizes ?? [], known).finally(() => this.#fileSlots.release(slot)));
      this.#files.set(key, p);
    }
    return { done: p };
  }

  /** Stops starting work after a failure or an interrupt. */
  #check(): void {
    if (this.#failure) throw this.#failure.err;
    this.d.signal?.throwIfAborted();
  }

  /** `p`, counted as running until it settles; its failure, if the first, is what the copy fails with. */
  #track<T>(p: Promise<T>): Promise<T> {
    this.#running.add(p);
    p.then(
      () => this.#running.delete(p),
      (err: unknown) => {
        this.#failure ??= { err };
        this.#running.delete(p);
      },
    );
    return p;
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

/** `p` with its failure handled here too: it is awaited later, after other awaits. */
function quiet(p: Promise<void>): Promise<void> {
  p.catch(() => undefined);
  return p;
}
