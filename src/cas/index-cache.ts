/** The local LevelDB cache of the repository index: blob id → location, and which index files it holds. */
import { corrupt, isRozenError } from '../core/errors.js';
import type { BlobId, PackId } from '../core/ids.js';
import type { BlobLocation, IndexedBlob, PackDescription } from '../core/types.js';
import {
  ABSORBED,
  ABSORBED_RANGE,
  ABSORBING,
  BLOB_RANGE,
  PACK_RANGE,
  absorbedKey,
  blobIdOfKey,
  blobKey,
  decodeLocation,
  decodePack,
  encodeLocation,
  encodePack,
  indexIdOfKey,
  packKey,
  packNoOfKey,
  type CachedPack,
  type RawLocation,
} from './index-cache-codec.js';
import { closeStore, openStore, recreateStore, type CacheDb, type OpenedStore } from './index-cache-store.js';

export type { CachedPack } from './index-cache-codec.js';

type PutOp = { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array };

/**
 * Array batches, not chained ones: classic-level frees an array batch's native buffer as
 * soon as it is written, while a chained batch's lives until V8 happens to collect it.
 */
const BATCH_OPS = 4096;

/**
 * Maps blob ids to locations in a LevelDB directory owned by the caller. Pack ids are
 * interned as u32 numbers (the pack table is also held in memory: one small record per
 * pack). See index-cache-store.ts for what happens when the directory is corrupt or locked.
 */
export class IndexCache {
  private packTable: CachedPack[] = [];
  private packNumbers = new Map<PackId, number>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private store: OpenedStore) {}

  static async open(dir: string): Promise<IndexCache> {
    let store = await openStore(dir);
    const cache = new IndexCache(store);
    try {
      await cache.loadPackTable();
    } catch {
      store = await recreateStore(store);
      cache.store = store;
      cache.resetPackTable();
    }
    return cache;
  }

  /** The directory in use: a temporary one when the requested one was locked. */
  get dir(): string {
    return this.store.dir;
  }

  get temporary(): boolean {
    return this.store.temporary;
  }

  private get db(): CacheDb {
    return this.store.db;
  }

  /** Index files absorbed completely. */
  async absorbedIndexIds(): Promise<Set<string>> {
    return this.indexIdsWith(ABSORBED);
  }

  /** Index files whose absorption was interrupted (some of their entries may be present). */
  async partialIndexIds(): Promise<Set<string>> {
    return this.indexIdsWith(ABSORBING);
  }

  /**
   * Adds the entries of one index file. Written in bounded batches; the first batch carries
   * the pack records and an "absorbing" marker, the last one the "absorbed" marker, so an
   * interrupted absorption is visible and simply repeated.
   */
  absorb(indexId: string, packs: readonly PackDescription[]): Promise<void> {
    const run = this.writing.then(() => this.absorbNow(indexId, packs));
    this.writing = run.catch(() => undefined);
    return run;
  }

  async get(id: BlobId): Promise<BlobLocation | undefined> {
    const value = await this.read(() => this.db.get(blobKey(id)));
    return value === undefined ? undefined : this.locate(value);
  }

  async getMany(ids: readonly BlobId[]): Promise<(BlobLocation | undefined)[]> {
    const values = await this.read(() => this.db.getMany(ids.map(blobKey)));
    return values.map((v) => (v === undefined ? undefined : this.locate(v)));
  }

  async *packs(): AsyncIterable<CachedPack> {
    yield* this.packTable;
  }

  /** Every cached blob, in key (blob id) order. */
  async *entries(): AsyncIterable<IndexedBlob> {
    for await (const [key, value] of this.db.iterator(BLOB_RANGE)) {
      yield { id: blobIdOfKey(key), ...this.locate(value) };
    }
  }

  /** Forgets everything (entries, packs, absorbed markers). */
  async clear(): Promise<void> {
    await this.writing;
    this.store = await recreateStore(this.store);
    this.resetPackTable();
  }

  async close(): Promise<void> {
    await this.writing;
    await closeStore(this.store);
  }

  private async absorbNow(indexId: string, packs: readonly PackDescription[]): Promise<void> {
    const fresh = this.newPackRecords(packs);
    const freshNumbers = new Map([...fresh].map(([no, p]) => [p.id, no]));
    let ops: PutOp[] = [...fresh].map(([no, p]) => put(packKey(no), encodePack(p)));
    ops.push(put(absorbedKey(indexId), Uint8Array.of(ABSORBING)));
    let first = true;
    const flush = async (): Promise<void> => {
      await this.db.batch(ops);
      if (first) this.adoptPacks(fresh);
      first = false;
      ops = [];
    };
    for (const pack of packs) {
      const packNo = this.packNumbers.get(pack.id) ?? freshNumbers.get(pack.id) ?? 0;
      for (const b of pack.blobs) {
        ops.push(put(blobKey(b.id), encodeLocation({ packNo, ...b })));
        if (ops.length >= BATCH_OPS) await flush();
      }
    }
    ops.push(put(absorbedKey(indexId), Uint8Array.of(ABSORBED)));
    await flush();
  }

  /** Numbers for packs not yet interned; adopted in memory only once written. */
  private newPackRecords(packs: readonly PackDescription[]): Map<number, CachedPack> {
    const fresh = new Map<number, CachedPack>();
    const seen = new Set<PackId>();
    for (const { id, kind, size } of packs) {
      if (this.packNumbers.has(id) || seen.has(id)) continue;
      seen.add(id);
      fresh.set(this.packTable.length + fresh.size, { id, kind, size });
    }
    return fresh;
  }

  private adoptPacks(fresh: ReadonlyMap<number, CachedPack>): void {
    for (const [no, p] of fresh) {
      this.packTable[no] = p;
      this.packNumbers.set(p.id, no);
    }
  }

  private locate(value: Uint8Array): BlobLocation {
    const { packNo, ...rest }: RawLocation = decodeLocation(value);
    const pack = this.packTable[packNo];
    if (pack === undefined) throw corrupt(`index cache (unknown pack number ${packNo})`);
    return { pack: pack.id, ...rest };
  }

  private async loadPackTable(): Promise<void> {
    this.resetPackTable();
    for await (const [key, value] of this.db.iterator(PACK_RANGE)) {
      const no = packNoOfKey(key);
      if (no !== this.packTable.length) throw corrupt('index cache (pack table has gaps)');
      this.adoptPacks(new Map([[no, decodePack(value)]]));
    }
  }

  private resetPackTable(): void {
    this.packTable = [];
    this.packNumbers = new Map();
  }

  private async indexIdsWith(state: number): Promise<Set<string>> {
    const ids = new Set<string>();
    for await (const [key, value] of this.db.iterator(ABSORBED_RANGE)) {
      if (value[0] === state) ids.add(indexIdOfKey(key));
    }
    return ids;
  }

  private async read<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw isRozenError(err) ? err : corrupt('index cache', err);
    }
  }
}

const put = (key: Uint8Array, value: Uint8Array): PutOp => ({ type: 'put', key, value });
