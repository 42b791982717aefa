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
  BLOB_KEY_BYTES,
  LOCATION_BYTES,
  encodePack,
  indexIdOfKey,
  packKey,
  packNoOfKey,
  writeBlobKey,
  writeLocation,
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
    const key = blobKey(id);
    const value = await this.read(() => this.db.get(key));
    return value === undefined ? undefined : this.locate(value);
  }

  async getMany(ids: readonly BlobId[]): Promise<(BlobLocation | undefined)[]> {
    const keys = ids.map(blobKey);
    const values = await this.read(() => this.db.getMany(keys));
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
    const head = [...fresh].map(([no, p]) => put(packKey(no), encodePack(p)));
    head.push(put(absorbedKey(indexId), Uint8Array.of(ABSORBING)));
    const batch = new BlobBatch(this.db, head);
    for (const pack of packs) {
      const packNo = this.packNumbers.get(pack.id) ?? freshNumbers.get(pack.id) ?? 0;
      for (const b of pack.blobs) {
        batch.add(b.id, packNo, b);
        if (batch.full) await this.writeBatch(batch, fresh);
      }
    }
    batch.extra(put(absorbedKey(indexId), Uint8Array.of(ABSORBED)));
    await this.writeBatch(batch, fresh);
  }

  private async writeBatch(batch: BlobBatch, fresh: ReadonlyMap<number, CachedPack>): Promise<void> {
    const first = batch.first;
    await batch.write();
    if (first) this.adoptPacks(fresh);
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

/**
 * Blob entries staged in two buffers reused for every batch (LevelDB copies them when the
 * batch is created), so absorbing millions of entries allocates no per-entry byte storage.
 */
class BlobBatch {
  private readonly keys = Buffer.allocUnsafeSlow(BATCH_OPS * BLOB_KEY_BYTES);
  private readonly values = Buffer.allocUnsafeSlow(BATCH_OPS * LOCATION_BYTES);
  private ops: PutOp[];
  private count = 0;
  first = true;

  constructor(
    private readonly db: CacheDb,
    head: PutOp[],
  ) {
    this.ops = head;
  }

  get full(): boolean {
    return this.count === BATCH_OPS;
  }

  add(id: BlobId, packNo: number, loc: Omit<RawLocation, 'packNo'>): void {
    const k = this.count * BLOB_KEY_BYTES;
    const v = this.count * LOCATION_BYTES;
    writeBlobKey(this.keys, k, id);
    writeLocation(this.values, v, packNo, loc);
    this.ops.push(put(this.keys.subarray(k, k + BLOB_KEY_BYTES), this.values.subarray(v, v + LOCATION_BYTES)));
    this.count++;
  }

  extra(op: PutOp): void {
    this.ops.push(op);
  }

  async write(): Promise<void> {
    const written = this.db.batch(this.ops);
    this.ops = [];
    this.count = 0;
    this.first = false;
    await written;
  }
}
