/**
 * Writes sealed blobs into packs: one open normal pack, one open tree pack and one open
 * degenerate pack at a time; finished packs are uploaded in the background (bounded) and
 * only then entered into the index, so an index never names a pack that is not durable.
 */
import type { Backend } from '../backend/backend.js';
import type { BlobIndex } from '../cas/blob-index.js';
import { DegeneratePackWriter } from '../cas/degenerate-writer.js';
import { INDEX_FILE_BLOBS } from '../cas/index-file.js';
import { MAX_PACK_BLOBS } from '../cas/pack-header.js';
import { PackWriter } from '../cas/pack-writer.js';
import type { Sealer } from '../cas/sealer-interface.js';
import type { BlobId } from '../core/ids.js';
import { BlobType, PackKind, type PackDescription } from '../core/types.js';

export interface SaverLimits {
  readonly packSize: number;
  readonly degenerateMax: number;
  /** Packs uploading at once before `save` waits. */
  readonly uploads?: number;
  /** Write an index file after this many new packs (crash safety for long runs). */
  readonly indexEvery?: number;
  /** Write an index file once this many blobs wait for one: their locations are held in memory until then. */
  readonly indexBlobs?: number;
}

export interface SaverStats {
  packs: number;
  blobs: number;
  storedBytes: number;
}

export class BlobSaver {
  readonly #backend: Backend;
  readonly #sealer: Sealer;
  readonly #index: BlobIndex;
  readonly #limits: Required<SaverLimits>;
  readonly #inflight = new Set<BlobId>();
  readonly #uploads = new Set<Promise<void>>();
  #normal: PackWriter | undefined;
  #tree: PackWriter | undefined;
  #large: DegeneratePackWriter | undefined;
  #sinceIndex = 0;
  #failure: { readonly err: unknown } | undefined;
  readonly stats: SaverStats = { packs: 0, blobs: 0, storedBytes: 0 };

  constructor(backend: Backend, sealer: Sealer, index: BlobIndex, limits: SaverLimits) {
    this.#backend = backend;
    this.#sealer = sealer;
    this.#index = index;
    this.#limits = { uploads: 2, indexEvery: 32, indexBlobs: INDEX_FILE_BLOBS, ...limits };
  }

  /** Whether the blob is already stored, indexed, or being written by this run. */
  async has(id: BlobId): Promise<boolean> {
    return this.#inflight.has(id) || (await this.#index.has(id));
  }

  /** Claim an id before the (slow) sealing of its data, so concurrent savers of equal data store it once. */
  claim(id: BlobId): boolean {
    if (this.#inflight.has(id)) return false;
    this.#inflight.add(id);
    return true;
  }

  /** Give back a claim whose blob will not be saved after all (its file failed). */
  unclaim(id: BlobId): void {
    this.#inflight.delete(id);
  }

  /** A small file's data blob or a tree blob into its normal/tree pack. */
  async saveSmall(type: BlobType, id: BlobId, sealed: Uint8Array, rawLength: number): Promise<void> {
    // Every saver waits for a free upload, not only the one that fills a pack: else, while packs are
    // written slower than files are read, finished packs pile up in memory.
    // (The check and the add below happen in one turn: no await between them once there is room.)
    while (this.#uploads.size >= this.#limits.uploads) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    this.#inflight.add(id);
    const kind = type === BlobType.tree ? PackKind.tree : PackKind.normal;
    let writer = kind === PackKind.tree ? this.#tree : this.#normal;
    if (!writer) {
      writer = new PackWriter(this.#backend, this.#sealer, kind);
      if (kind === PackKind.tree) this.#tree = writer;
      else this.#normal = writer;
    }
    writer.add(id, type, sealed, rawLength);
    this.stats.blobs++;
    if (writer.size >= this.#limits.packSize || writer.count >= MAX_PACK_BLOBS) {
      if (kind === PackKind.tree) this.#tree = undefined;
      else this.#normal = undefined;
      await this.#upload(writer.finish());
    }
  }

  /** A large file's chunk into the open degenerate pack, continuing in a new one at the cap. */
  async saveChunk(id: BlobId, sealed: Uint8Array, rawLength: number): Promise<void> {
    this.#throwIfFailed();
    this.#inflight.add(id);
    const large = this.#large;
    if (large && (large.size + sealed.length > this.#limits.degenerateMax || large.count >= MAX_PACK_BLOBS)) await this.endLargeFile();
    this.#large ??= new DegeneratePackWriter(this.#backend, this.#sealer);
    await this.#large.add(id, BlobType.data, sealed, rawLength);
    this.stats.blobs++;
  }

  /** Close the degenerate pack of the file just finished. */
  async endLargeFile(): Promise<void> {
    const large = this.#large;
    this.#large = undefined;
    if (large) await this.#upload(large.finish());
  }

  async #upload(finishing: Promise<PackDescription>): Promise<void> {
    this.#track(finishing);
    while (this.#uploads.size >= this.#limits.uploads) await Promise.race(this.#uploads);
    this.#throwIfFailed();
  }

  /** A pack finishing and uploading, entered into the index when done; a failure fails the next save or flush. */
  #track(finishing: Promise<PackDescription>): void {
    const p = finishing.then(
      (desc) => this.#packDone(desc),
      (err: unknown) => {
        this.#failure ??= { err };
      },
    );
    this.#uploads.add(p);
    void p.finally(() => this.#uploads.delete(p));
  }

  async #packDone(desc: PackDescription): Promise<void> {
    this.#index.addPack(desc);
    // The index answers for these now; the in-flight set only covers blobs not yet in a finished pack.
    for (const b of desc.blobs) this.#inflight.delete(b.id);
    this.stats.packs++;
    this.stats.storedBytes += desc.size;
    if (++this.#sinceIndex >= this.#limits.indexEvery || this.#index.pendingBlobCount >= this.#limits.indexBlobs) {
      this.#sinceIndex = 0;
      await this.#index.flush();
    }
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.err;
  }

  /**
   * Everything saved so far made durable and indexed while saving goes on (copy starts its next snapshot
   * meanwhile): the open packs are finished now and later saves go to new ones. Resolves once those packs and every
   * upload started before are in an index file; rejects as flush does. Call it between files.
   */
  checkpoint(): Promise<void> {
    const open = [
      this.#large?.finish(),
      this.#normal?.count ? this.#normal.finish() : undefined,
      this.#tree?.count ? this.#tree.finish() : undefined,
    ];
    this.#large = this.#normal = this.#tree = undefined;
    for (const finishing of open) if (finishing) this.#track(finishing);
    const uploads = [...this.#uploads];
    return Promise.all(uploads).then(async () => {
      this.#throwIfFailed();
      await this.#index.flush();
    });
  }

  /** Finish every open pack, wait for all uploads, write the index. Afterwards everything saved is durable and indexed. */
  async flush(): Promise<void> {
    await this.checkpoint();
    this.#inflight.clear();
  }

  /** On interruption: keep what is finished (upload + index), drop the open degenerate pack. */
  async abort(): Promise<void> {
    const large = this.#large;
    this.#large = undefined;
    if (large) await large.abort().catch(() => undefined);
    await this.flush().catch(() => undefined);
  }
}
