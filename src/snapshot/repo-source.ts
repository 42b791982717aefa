/** Snapshots, trees and blobs of an opened repository, as the mount consumes them. */
import { LRUCache } from 'lru-cache';
import { describePackBytes } from '../cas/pack-reader.js';
import type { BlobId, PackId, SnapshotId } from '../core/ids.js';
import type { BlobLocation, PackDescription } from '../core/types.js';
import type { Repository } from '../repo/repository.js';
import { nativeKeys, openBlobRun, type BlobSpan, type OpenOptions } from '../repo/native-open.js';
import { listSnapshotIds, loadSnapshot } from '../repo/snapshots.js';
import { WindowReader } from '../repo/window-reader.js';
import type { Node } from './node.js';
import type { Snapshot } from '../core/snapshot.js';
import { decodeTree } from './fs/tree-codec.js';
import { MiB } from '../core/sizes.js';

/** Blobs stored one after another in a pack, opened together: their ids and plaintexts, and the id of the blob after them. */
export interface BlobRun {
  readonly blobs: readonly (readonly [BlobId, Uint8Array])[];
  readonly next?: BlobId;
}

/** Descriptions of whole packs read lately (a few KiB each). */
const DESCRIPTIONS = 256;

export interface SourceOptions {
  /**
   * Also re-hash every data blob's plaintext to its id (HMAC-SHA-256), as `check --read-data` and restore do.
   * Off by default: each blob's authentication tag, always checked, covers its id, so this catches only a writer
   * that sealed other bytes than it hashed, and it is a large share of the CPU of reading a large file. Trees are
   * always checked.
   */
  readonly verifyIds?: boolean;
}

export class RepoSnapshotSource {
  readonly #repo: Repository;
  readonly #known = new Map<SnapshotId, Snapshot>();

  readonly #windows: WindowReader;
  /** Tree packs have windows of their own: data read through the mount would evict them. */
  readonly #treeWindows: WindowReader;
  readonly #keys: Uint8Array;
  readonly #descriptions = new LRUCache<PackId, PackDescription>({ max: DESCRIPTIONS });
  readonly #verifyIds: boolean;

  constructor(repo: Repository, opts: SourceOptions = {}) {
    this.#repo = repo;
    this.#verifyIds = opts.verifyIds ?? false;
    this.#windows = new WindowReader(repo.backend, repo.index);
    this.#treeWindows = new WindowReader(repo.backend, repo.index, { cacheBytes: 32 * MiB });
    this.#keys = nativeKeys(repo.master.encKey, repo.master.idKey);
  }

  /** Ranged GETs issued for blobs (each one a window of a pack). */
  get gets(): number {
    return this.#windows.gets + this.#treeWindows.gets;
  }

  close(): Promise<void> {
    this.#keys.fill(0);
    return Promise.resolve();
  }

  /** Lists snapshot ids and loads only the records not seen before. */
  async listSnapshots(): Promise<Snapshot[]> {
    const ids = await listSnapshotIds(this.#repo);
    const present = new Set(ids);
    for (const id of this.#known.keys()) if (!present.has(id)) this.#known.delete(id);
    const fresh = ids.filter((id) => !this.#known.has(id));
    if (fresh.length > 0) await this.#repo.index.refresh();
    for (const s of await Promise.all(fresh.map((id) => loadSnapshot(this.#repo, id)))) this.#known.set(s.id, s);
    return [...this.#known.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }

  async loadTree(id: BlobId): Promise<readonly Node[]> {
    return decodeTree(await this.#read(id, this.#treeWindows, true));
  }

  /** Through a pack window (one GET serves a whole small pack), authenticated (and verified, see SourceOptions) in the addon (openBlobRun). */
  readBlob(id: BlobId): Promise<Uint8Array> {
    return this.#read(id, this.#windows, this.#verifyIds);
  }

  async #read(id: BlobId, windows: WindowReader, checkIds: boolean): Promise<Uint8Array> {
    const loc = await this.#repo.locate(id);
    const sealed = await windows.read(loc);
    return openBlobRun(this.#keys, sealed, [{ id, at: 0, length: loc.length, rawLength: loc.rawLength }], { checkIds });
  }

  /**
   * The blob `id` and, when its pack was fetched whole (normal and tree packs), the blobs stored after
   * it, up to about `maxBytes` of plaintext: one addon job for many small files, which a copy
   * out of the mount reads in the order they were stored. The plaintexts are views of one new buffer.
   */
  async readRun(id: BlobId, maxBytes: number): Promise<BlobRun> {
    const opts: OpenOptions = { checkIds: this.#verifyIds };
    const loc = await this.#repo.locate(id);
    const w = await this.#windows.readWindow(loc);
    const pack = w.offset === 0 ? this.#wholePack(loc, w.bytes) : undefined;
    if (pack === undefined) {
      const at = loc.offset - w.offset;
      return { blobs: [[id, await openBlobRun(this.#keys, w.bytes, [{ id, at, length: loc.length, rawLength: loc.rawLength }], opts)]] };
    }
    const first = blobAt(pack, loc.offset);
    let last = first;
    let bytes = pack.blobs[first]?.rawLength ?? 0;
    while (last + 1 < pack.blobs.length && bytes + (pack.blobs[last + 1]?.rawLength ?? 0) <= maxBytes)
      bytes += pack.blobs[++last]?.rawLength ?? 0;
    const run = pack.blobs.slice(first, last + 1);
    const spans = run.map((b): BlobSpan => ({ id: b.id, at: b.offset, length: b.length, rawLength: b.rawLength }));
    const plain = await openBlobRun(this.#keys, w.bytes, spans, opts);
    let pos = 0;
    const blobs = run.map((b): [BlobId, Uint8Array] => [b.id, plain.subarray(pos, (pos += b.rawLength))]);
    const next = pack.blobs[last + 1]?.id;
    return next === undefined ? { blobs } : { blobs, next };
  }

  /** The description of a pack whose window is the whole pack (undefined for a window of part of one). */
  #wholePack(loc: BlobLocation, bytes: Uint8Array): PackDescription | undefined {
    const size = this.#repo.index.packInfo(loc.pack)?.size;
    if (size === undefined || bytes.length !== size) return undefined;
    let d = this.#descriptions.get(loc.pack);
    if (d === undefined) {
      d = describePackBytes(this.#repo.sealer, loc.pack, bytes);
      this.#descriptions.set(loc.pack, d);
    }
    return blobAt(d, loc.offset) < 0 ? undefined : d;
  }
}

/** Index of the blob starting at `offset` (binary search; blobs are in offset order), or -1. */
function blobAt(pack: PackDescription, offset: number): number {
  let lo = 0;
  let hi = pack.blobs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = (pack.blobs[mid] as { offset: number }).offset;
    if (at === offset) return mid;
    if (at < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
