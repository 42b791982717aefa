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
  writeRawBlob,
  type CachedPack,
  type RawLocation,
} from './index-cache-codec.js';
import { BLOB_ENTRY, scanIndexBody } from './index-body.js';
import { closeStore, openStore, preloadStore, recreateStore, type CacheDb, type OpenedStore } from './index-cache-store.js';
import { coalesce } from '../core/coalesce.js';

export type { CachedPack } from './index-cache-codec.js';

interface ScannedPack extends CachedPack {
  readonly blobCount: number;
  readonly blobsAt: number;
}

type PutOp = { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array };

/**
 * Array batches, not chained ones: classic-level frees an array batch's native buffer as
 * soon as it is written, while a chained batch's lives until V8 happens to collect it.
 */
const BATCH_OPS = 1024;

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

  /** Loads the store's modules ahead of open() (see preloadStore). */
  static preload(): void {
    preloadStore().catch(() => undefined); // open() reports a failure
  }

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
    return this.enqueue(() => this.absorbNow(indexId, packs));
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.writing.then(op);
    this.writing = run.catch(() => undefined);
    return run;
  }

  /**
   * Like `absorb`, straight from an index file's body (FORMAT §7), which is validated first:
   * nothing is written from a malformed body. Creates no object per blob, so rebuilding a
   * large cache keeps the JS heap small.
   */
  async absorbBody(indexId: string, body: Uint8Array): Promise<void> {
    const packs: ScannedPack[] = [];
    scanIndexBody(body, {
      pack: (id, kind, size, blobCount, blobsAt) => packs.push({ id, kind, size, blobCount, blobsAt }),
      blob: () => undefined,
    });
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return this.enqueue(() => this.absorbBodyNow(indexId, bytes, packs));
  }

  /**
   * One lookup. Those asked in the same turn of the event loop (a backup asks for every blob of a
   * batch of files, one by one) go to LevelDB together, as one getMany: each call into LevelDB
   * costs the JS thread the same, however few keys it carries.
   */
  async get(id: BlobId): Promise<BlobLocation | undefined> {
    // No pack, no entry: a first backup into a new repository need not ask LevelDB at all.
    if (this.packTable.length === 0) return undefined;
    return this.gets(id);
  }

  private readonly gets = coalesce((ids: BlobId[]) => this.getMany(ids), Number.POSITIVE_INFINITY);

  /**
   * Asked in key order: LevelDB keeps few tables open (index-cache-store.ts), and random ids met one
   * table after another reopened a table for nearly every key once the cache outgrew that handful.
   */
  async getMany(ids: readonly BlobId[]): Promise<(BlobLocation | undefined)[]> {
    if (this.packTable.length === 0) return ids.map(() => undefined);
    const order = keyOrder(ids);
    const values = await this.read(() => this.db.getMany(order.map((i) => blobKey(ids[i]!))));
    const out = new Array<BlobLocation | undefined>(ids.length);
    order.forEach((slot, k) => {
      const v = values[k];
      out[slot] = v === undefined ? undefined : this.locate(v);
    });
    return out;
  }

  /** Kind and size of an indexed pack, from memory. */
  pack(id: PackId): CachedPack | undefined {
    const no = this.packNumbers.get(id);
    return no === undefined ? undefined : this.packTable[no];
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
    await this.absorbWith(indexId, packs, async (batch, packNos) => {
      for (const [i, pack] of packs.entries()) {
        const packNo = packNos[i] ?? 0;
        for (const b of pack.blobs) if (batch.add(b.id, packNo, b)) await batch.write();
      }
    });
  }

  private async absorbBodyNow(indexId: string, body: Buffer, packs: readonly ScannedPack[]): Promise<void> {
    await this.absorbWith(indexId, packs, async (batch, packNos) => {
      for (const [i, { blobCount, blobsAt }] of packs.entries()) {
        const packNo = packNos[i] ?? 0;
        for (let j = 0; j < blobCount; j++) {
          if (batch.addRecord(body, blobsAt + j * BLOB_ENTRY, packNo)) await batch.write();
        }
      }
    });
  }

  /**
   * The first batch carries the new pack records and an "absorbing" marker, the last one the
   * "absorbed" marker; `fill` adds the blob entries, writing each batch as it fills up.
   */
  private async absorbWith(
    indexId: string,
    packs: readonly CachedPack[],
    fill: (batch: BlobBatch, packNos: readonly number[]) => Promise<void>,
  ): Promise<void> {
    const fresh = this.newPackRecords(packs);
    const head = [...fresh].map(([no, p]) => put(packKey(no), encodePack(p)));
    head.push(put(absorbedKey(indexId), Uint8Array.of(ABSORBING)));
    const batch = new BlobBatch(this.db, head);
    // adopted before the first write so that readers racing it can resolve the new numbers
    this.adoptPacks(fresh);
    try {
      await fill(
        batch,
        packs.map((p) => this.packNumbers.get(p.id) ?? 0),
      );
      batch.extra(put(absorbedKey(indexId), Uint8Array.of(ABSORBED)));
      await batch.write();
    } catch (err) {
      if (batch.writes === 0) this.dropPacks(fresh);
      throw err;
    }
  }

  /** Numbers for packs not yet interned. */
  private newPackRecords(packs: readonly CachedPack[]): Map<number, CachedPack> {
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

  private dropPacks(fresh: ReadonlyMap<number, CachedPack>): void {
    for (const [, p] of fresh) this.packNumbers.delete(p.id);
    this.packTable.length -= fresh.size;
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
  writes = 0;

  constructor(
    private readonly db: CacheDb,
    head: PutOp[],
  ) {
    this.ops = head;
  }

  /** Stages one entry; true when the batch is full and must be written. */
  add(id: BlobId, packNo: number, loc: Omit<RawLocation, 'packNo'>): boolean {
    writeBlobKey(this.keys, this.count * BLOB_KEY_BYTES, id);
    writeLocation(this.values, this.count * LOCATION_BYTES, packNo, loc);
    return this.stage();
  }

  /** Stages the index-file blob record at `body[at]`; true when the batch is full. */
  addRecord(body: Buffer, at: number, packNo: number): boolean {
    writeRawBlob(this.keys, this.count * BLOB_KEY_BYTES, this.values, this.count * LOCATION_BYTES, body, at, packNo);
    return this.stage();
  }

  private stage(): boolean {
    const k = this.count * BLOB_KEY_BYTES;
    const v = this.count * LOCATION_BYTES;
    this.ops.push(put(this.keys.subarray(k, k + BLOB_KEY_BYTES), this.values.subarray(v, v + LOCATION_BYTES)));
    return ++this.count === BATCH_OPS;
  }

  extra(op: PutOp): void {
    this.ops.push(op);
  }

  async write(): Promise<void> {
    const written = this.db.batch(this.ops);
    this.ops = [];
    this.count = 0;
    await written;
    this.writes++;
  }
}

/** The positions of `ids` in key order (hex ids sort as their bytes do). */
function keyOrder(ids: readonly BlobId[]): number[] {
  return [...ids.keys()].sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
}
