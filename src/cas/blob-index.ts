/** The index as one process sees it: the repository's index files (via the cache) plus packs written in this run. */
import type { Backend } from '../backend/backend.js';
import { invalidArgument, isRozenError, type RozenError } from '../core/errors.js';
import { isHexId, type BlobId, type PackId } from '../core/ids.js';
import type { BlobLocation, PackDescription, PackKind } from '../core/types.js';
import { IndexCache } from './index-cache.js';
import { INDEX_PREFIX, indexBatches, readIndexBody, writeIndexFile } from './index-file.js';
import { BlobIdSet } from './index-id-set.js';
import type { Sealer } from './sealer-interface.js';

/** Index files fetched ahead while earlier ones are absorbed. */
const READ_AHEAD = 2;
const GET_MANY_CHUNK = 4096;

export class BlobIndex {
  private readonly pending = new Map<BlobId, BlobLocation>();
  private unwritten: PackDescription[] = [];
  private readonly pendingPacks = new Set<PackId>();
  private readonly written = new BlobIdSet();
  private flushing: Promise<unknown> = Promise.resolve();
  /** Index files that failed to authenticate or parse at the last refresh; lookups throw the first one's error. */
  readonly #unreadable = new Map<string, RozenError>();

  private constructor(
    private readonly backend: Backend,
    private readonly sealer: Sealer,
    private readonly cache: IndexCache,
  ) {}

  /** Starts loading what open() needs, for a caller with other work to do first (see IndexCache.preload). */
  static preload(): void {
    IndexCache.preload();
  }

  /**
   * Opens the cache in `cacheDir` and brings it up to date with `index/`: absorbs index files
   * it has not seen; rebuilds it from scratch when an index file it holds has disappeared
   * (prune replaced it, so some of its entries may name deleted packs).
   */
  static async open(backend: Backend, sealer: Sealer, cacheDir: string): Promise<BlobIndex> {
    const index = new BlobIndex(backend, sealer, await IndexCache.open(cacheDir));
    try {
      await index.refresh();
    } catch (err) {
      await index.cache.close();
      throw err;
    }
    return index;
  }

  /** Re-synchronises the cache with the repository's index files (done by `open`). */
  async refresh(): Promise<void> {
    this.#unreadable.clear();
    const present = await listIndexIds(this.backend);
    let absorbed = await this.cache.absorbedIndexIds();
    const partial = await this.cache.partialIndexIds();
    if ([...absorbed, ...partial].some((id) => !present.has(id))) {
      // Index files were replaced (prune): blobs this process wrote may be gone with them.
      await this.cache.clear();
      this.written.clear();
      absorbed = new Set();
    }
    await this.absorbAll([...present].filter((id) => !absorbed.has(id)));
  }

  /**
   * Corrupt index files met by the last refresh. Opening does not fail on them, so that `repair index`
   * can replace them; any lookup does, naming the first.
   */
  get unreadable(): ReadonlyMap<string, RozenError> {
    return this.#unreadable;
  }

  /** Throws the first unreadable index file's error: for a command that needs the whole index, before it starts. */
  throwIfUnreadable(): void {
    if (this.#unreadable.size === 0) return; // every lookup asks: no iterator on the common path
    const first = this.#unreadable.values().next();
    if (!first.done) throw first.value;
  }

  async has(id: BlobId): Promise<boolean> {
    this.throwIfUnreadable();
    if (this.pending.has(id) || this.written.has(id)) return true;
    return (await this.cache.get(id)) !== undefined;
  }

  async lookup(id: BlobId): Promise<BlobLocation | undefined> {
    this.throwIfUnreadable();
    return this.pending.get(id) ?? (await this.cache.get(id));
  }

  async lookupMany(ids: readonly BlobId[]): Promise<(BlobLocation | undefined)[]> {
    this.throwIfUnreadable();
    const out = ids.map((id) => this.pending.get(id));
    const missing = [...out.keys()].filter((i) => out[i] === undefined);
    for (let start = 0; start < missing.length; start += GET_MANY_CHUNK) {
      const slots = missing.slice(start, start + GET_MANY_CHUNK);
      const found = await this.cache.getMany(slots.map((i) => ids[i] as BlobId));
      slots.forEach((slot, k) => (out[slot] = found[k]));
    }
    return out;
  }

  /** Kind and size of a pack this index names, or undefined. */
  packInfo(id: PackId): { readonly kind: PackKind; readonly size: number } | undefined {
    this.throwIfUnreadable();
    const mine = this.unwritten.find((p) => p.id === id);
    return mine ? { kind: mine.kind, size: mine.size } : this.cache.pack(id);
  }

  /** Records a pack written in this run; its blobs are visible at once and indexed by `flush`. */
  addPack(desc: PackDescription): void {
    if (this.pendingPacks.has(desc.id)) throw invalidArgument(`pack ${desc.id} added twice`);
    this.pendingPacks.add(desc.id);
    this.unwritten.push(desc);
    for (const { id, ...rest } of desc.blobs) {
      this.pending.set(id, { pack: desc.id, ...rest });
      this.written.add(id);
    }
  }

  /** Blobs added since the last flush: the caller flushes before this grows without bound. */
  get pendingBlobCount(): number {
    return this.pending.size;
  }

  /**
   * Writes index files naming every pack added since the last flush (one, unless they hold more
   * blobs than one may name), absorbs them into the cache and forgets the pending entries; returns
   * the last one's id, undefined when nothing was pending. The caller
   * must have made those packs durable first (FORMAT §7).
   */
  flush(): Promise<string | undefined> {
    const run = this.flushing.then(() => this.flushNow());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  /** Ids of the index files the cache holds (after `open`: all of the repository's, plus flushed ones). */
  indexIds(): Promise<Set<string>> {
    return this.cache.absorbedIndexIds();
  }

  /** Closes the cache; packs added but not flushed are not indexed. */
  async close(): Promise<void> {
    await this.flushing;
    await this.cache.close();
  }

  private async flushNow(): Promise<string | undefined> {
    let id: string | undefined;
    // More packs than one index file may name go into several (FORMAT §7).
    for (const packs of indexBatches(this.unwritten.slice())) {
      id = await writeIndexFile(this.backend, this.sealer, packs);
      this.unwritten = this.unwritten.slice(packs.length);
      await this.cache.absorb(id, packs);
      for (const pack of packs) this.forgetPending(pack);
    }
    return id;
  }

  private forgetPending(pack: PackDescription): void {
    this.pendingPacks.delete(pack.id);
    for (const b of pack.blobs) {
      if (this.pending.get(b.id)?.pack === pack.id) this.pending.delete(b.id);
    }
  }

  /** Absorbs index files in order, fetching the next ones (raw bodies, compact) meanwhile. */
  private async absorbAll(ids: readonly string[]): Promise<void> {
    const reads = new Map<number, Promise<Uint8Array>>();
    const start = (i: number): void => {
      const id = ids[i];
      if (id === undefined || reads.has(i)) return;
      const read = readIndexBody(this.backend, this.sealer, id);
      read.catch(() => undefined);
      reads.set(i, read);
    };
    for (const [i, id] of ids.entries()) {
      for (let k = i; k <= i + READ_AHEAD; k++) start(k);
      const body = await reads.get(i)?.catch((err: unknown) => this.#passOver(id, err));
      reads.delete(i);
      if (body !== undefined) await this.cache.absorbBody(id, body);
    }
  }

  /** Records a corrupt index file (other errors, e.g. of the backend, are thrown). */
  #passOver(id: string, err: unknown): undefined {
    if (!isRozenError(err, 'CorruptData')) throw err;
    this.#unreadable.set(id, err);
    return undefined;
  }
}

async function listIndexIds(backend: Backend): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const { name } of backend.list(INDEX_PREFIX)) {
    const id = name.slice(INDEX_PREFIX.length);
    if (isHexId(id)) ids.add(id);
  }
  return ids;
}
