/**
 * The blob records of the index as compact bytes: each record exactly as an index file states it
 * (FORMAT §7: id, type, offset, length, rawLength; 47 bytes), numbered in the order appended, and
 * looked up by id through the record numbers sorted by id, each beside its id's first four bytes,
 * cut into buckets by the ids' leading bits. A few bytes a record besides, and no object per blob.
 */
import { BLOB_ENTRY, decodeBlobRecord } from '../cas/index-body.js';
import { ID_BYTES, type BlobId } from '../core/ids.js';
import type { BlobType, PackDescription } from '../core/types.js';
import { BitSet } from './bit-set.js';

const RECORD = BLOB_ENTRY;
const TYPE_AT = ID_BYTES;
const OFFSET_AT = ID_BYTES + 1;
const LENGTH_AT = ID_BYTES + 7;
const RAW_LENGTH_AT = ID_BYTES + 11;
/** Records per bucket, on average: a bucket's (prefix, record) pairs then fill about one cache line. */
const PER_BUCKET = 8;
const MAX_BUCKET_BITS = 24;
/** Buckets up to this size are sorted in place by insertion. */
const INSERTION_SORT_MAX = 16;

export class BlobTable {
  #bytes: Buffer;
  #count = 0;
  /**
   * Pairs (first four bytes of the id as a big-endian u32, record number) sorted by (id, record number):
   * a search reads the prefixes side by side and the records' bytes only to confirm a match.
   */
  #sorted = new Uint32Array(0);
  /** Where each bucket starts, in pairs of #sorted (one more entry than buckets). */
  #starts = new Uint32Array(3);
  #shift = 31;
  #duplicates = new BitSet(0);
  /** Records are appended, then looked up by id, then (releaseLookup) only read by number, then released. */
  #phase: 'filling' | 'indexed' | 'records' | 'released' = 'filling';
  readonly #key = Buffer.alloc(ID_BYTES);

  /** `capacity`: the records expected; more may be appended (the bytes are then copied once more). */
  constructor(capacity = 0) {
    this.#bytes = Buffer.alloc(capacity * RECORD);
  }

  get size(): number {
    return this.#count;
  }

  /** Appends the `n` records at `body[at]` (an index body scanIndexBody has validated); returns the number of the first. */
  append(body: Uint8Array, at: number, n: number): number {
    if (this.#phase !== 'filling') throw new Error('BlobTable: append after index()');
    const end = (this.#count + n) * RECORD;
    if (end > this.#bytes.length) {
      const grown = Buffer.alloc(Math.max(end, Math.ceil(this.#bytes.length * 1.5)));
      grown.set(this.#bytes.subarray(0, this.#count * RECORD));
      this.#bytes = grown;
    }
    this.#bytes.set(body.subarray(at, at + n * RECORD), this.#count * RECORD);
    this.#count += n;
    return this.#count - n;
  }

  /** Builds the lookup by id, once every record is appended. */
  index(): void {
    const n = this.#count;
    const bits = Math.min(MAX_BUCKET_BITS, Math.max(1, Math.floor(Math.log2(n / PER_BUCKET))));
    this.#shift = 32 - bits;
    const starts = new Uint32Array((1 << bits) + 1);
    for (let r = 0; r < n; r++) starts[(this.#prefixOf(r) >>> this.#shift) + 1]!++;
    for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!;
    const next = starts.slice(0, -1);
    const sorted = new Uint32Array(2 * n);
    for (let r = 0; r < n; r++) {
      const prefix = this.#prefixOf(r);
      const at = next[prefix >>> this.#shift]!++;
      sorted[2 * at] = prefix;
      sorted[2 * at + 1] = r;
    }
    this.#sorted = sorted;
    this.#starts = starts;
    this.#duplicates = new BitSet(n);
    for (let b = 0; b + 1 < starts.length; b++) this.#sortBucket(starts[b]!, starts[b + 1]!);
    this.#phase = 'indexed';
  }

  /** Frees the lookup by id now (see `release`): the records are still read by number. */
  releaseLookup(): void {
    freeNow(this.#sorted.buffer);
    this.#sorted = new Uint32Array(0);
    this.#starts = new Uint32Array(3);
    if (this.#phase !== 'released') this.#phase = 'records';
  }

  /**
   * Frees the table's memory now. Dropped, it would wait for V8's next full collection, which a command
   * that goes on allocating little (prune rebuilding the index cache) may not run for a long while.
   */
  release(): void {
    this.releaseLookup();
    freeNow(this.#bytes.buffer);
    this.#bytes = Buffer.alloc(0);
    this.#count = 0;
    this.#phase = 'released';
  }

  /** The first record of `id` (in the order appended), or -1. */
  find(id: BlobId): number {
    const at = this.#position(id);
    return at < 0 ? -1 : this.#recordAt(at);
  }

  /** The first record of `id` with type `type`, or -1. */
  findOfType(id: BlobId, type: BlobType): number {
    for (let at = this.#position(id); at >= 0; at = this.#nextSame(at)) {
      const r = this.#recordAt(at);
      if (this.typeOf(r) === type) return r;
    }
    return -1;
  }

  /** Every record of `id`, in the order appended. */
  recordsOf(id: BlobId): number[] {
    const out: number[] = [];
    for (let at = this.#position(id); at >= 0; at = this.#nextSame(at)) out.push(this.#recordAt(at));
    return out;
  }

  /** Whether another record has the same id as record `r`. */
  isDuplicate(r: number): boolean {
    return this.#duplicates.has(r);
  }

  idOf(r: number): BlobId {
    return this.#bytes.toString('hex', r * RECORD, r * RECORD + ID_BYTES) as BlobId;
  }

  typeOf(r: number): BlobType {
    return this.#bytes[r * RECORD + TYPE_AT] as BlobType;
  }

  lengthOf(r: number): number {
    return this.#bytes.readUInt32LE(r * RECORD + LENGTH_AT);
  }

  rawLengthOf(r: number): number {
    return this.#bytes.readUInt32LE(r * RECORD + RAW_LENGTH_AT);
  }

  offsetOf(r: number): number {
    return this.#bytes.readUIntLE(r * RECORD + OFFSET_AT, 6);
  }

  /** Records [first, first + count) as an index body holds them (a view, not a copy). */
  records(first: number, count: number): Uint8Array {
    return this.#bytes.subarray(first * RECORD, (first + count) * RECORD);
  }

  /** Record `r` as a pack description's blob entry. */
  blob(r: number): PackDescription['blobs'][number] {
    return decodeBlobRecord(this.#bytes, r * RECORD);
  }

  /** The first four bytes of record `r`'s id, as a big-endian u32. */
  #prefixOf(r: number): number {
    return this.#bytes.readUInt32BE(r * RECORD);
  }

  #recordAt(at: number): number {
    return this.#sorted[2 * at + 1]!;
  }

  /** The position in #sorted of the first record of `id`, or -1. */
  #position(id: BlobId): number {
    if (this.#phase !== 'indexed') throw new Error(`BlobTable: no lookup by id (${this.#phase})`);
    const key = this.#key;
    if (key.write(id, 'hex') !== ID_BYTES) return -1;
    const prefix = key.readUInt32BE(0);
    const sorted = this.#sorted;
    let lo = this.#starts[prefix >>> this.#shift]!;
    let hi = this.#starts[(prefix >>> this.#shift) + 1]!;
    const end = hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[2 * mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let at = lo; at < end && sorted[2 * at] === prefix; at++) {
      const c = compareIds(this.#bytes, sorted[2 * at + 1]! * RECORD, key, 0);
      if (c === 0) return at;
      if (c > 0) break;
    }
    return -1;
  }

  /** The position after `at` when it holds a record of the same id, else -1. */
  #nextSame(at: number): number {
    const next = at + 1;
    if (next >= this.#count || !this.#duplicates.has(this.#recordAt(at))) return -1;
    return this.#sameId(this.#recordAt(at), this.#recordAt(next)) ? next : -1;
  }

  #sameId(a: number, b: number): boolean {
    return compareIds(this.#bytes, a * RECORD, this.#bytes, b * RECORD) === 0;
  }

  #compareRecords(a: number, b: number): number {
    return compareIds(this.#bytes, a * RECORD, this.#bytes, b * RECORD) || a - b;
  }

  /** Whether the pair at `at` of #sorted sorts after the pair (prefix, r). */
  #sortsAfter(at: number, prefix: number, r: number): boolean {
    const other = this.#sorted[2 * at]!;
    return other === prefix ? this.#compareRecords(this.#sorted[2 * at + 1]!, r) > 0 : other > prefix;
  }

  /** Sorts the pairs [lo, hi) of #sorted by (id, record number) and marks records whose id is repeated. */
  #sortBucket(lo: number, hi: number): void {
    if (hi - lo < 2) return;
    const sorted = this.#sorted;
    if (hi - lo <= INSERTION_SORT_MAX) {
      for (let i = lo + 1; i < hi; i++) {
        const prefix = sorted[2 * i]!;
        const r = sorted[2 * i + 1]!;
        let j = i - 1;
        for (; j >= lo && this.#sortsAfter(j, prefix, r); j--) {
          sorted[2 * j + 2] = sorted[2 * j]!;
          sorted[2 * j + 3] = sorted[2 * j + 1]!;
        }
        sorted[2 * j + 2] = prefix;
        sorted[2 * j + 3] = r;
      }
    } else {
      const records = Array.from({ length: hi - lo }, (_, i) => this.#recordAt(lo + i));
      records
        .sort((a, b) => this.#compareRecords(a, b))
        .forEach((r, i) => {
          sorted[2 * (lo + i)] = this.#prefixOf(r);
          sorted[2 * (lo + i) + 1] = r;
        });
    }
    for (let i = lo + 1; i < hi; i++) {
      if (sorted[2 * i] !== sorted[2 * i - 2] || !this.#sameId(this.#recordAt(i - 1), this.#recordAt(i))) continue;
      this.#duplicates.add(this.#recordAt(i - 1));
      this.#duplicates.add(this.#recordAt(i));
    }
  }
}

/**
 * Hands an ArrayBuffer's memory to a clone dropped at once: the buffer is detached (its views empty), and the
 * clone, a young object, is collected with its memory at the next minor collection.
 */
function freeNow(buffer: ArrayBufferLike): void {
  if (buffer.byteLength > 0) structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
}

function compareIds(x: Uint8Array, xAt: number, y: Uint8Array, yAt: number): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const d = x[xAt + i]! - y[yAt + i]!;
    if (d !== 0) return d;
  }
  return 0;
}
