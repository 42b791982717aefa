/** An exact set of blob ids over a BlobTable: one bit per record for ids the table holds, a compact id set for the others. */
import { BlobIdSet } from '../cas/index-id-set.js';
import type { BlobId } from '../core/ids.js';
import { BitSet } from './bit-set.js';
import type { BlobTable } from './blob-table.js';

export class BlobMarks {
  /** Every record of a member id. */
  readonly records: BitSet;
  /** Members the table does not hold. */
  readonly unindexed = new BlobIdSet(Number.POSITIVE_INFINITY);
  #size = 0;

  constructor(private readonly table: BlobTable) {
    this.records = new BitSet(table.size);
  }

  /** Distinct ids added. */
  get size(): number {
    return this.#size;
  }

  /** Adds `id` (whose first record is `first`, when the caller has looked it up); false when it was there. */
  add(id: BlobId, first = this.table.find(id)): boolean {
    if (first < 0) {
      if (this.unindexed.has(id)) return false;
      this.unindexed.add(id);
    } else {
      if (!this.records.add(first)) return false;
      if (this.table.isDuplicate(first)) for (const r of this.table.recordsOf(id)) this.records.add(r);
    }
    this.#size++;
    return true;
  }

  has(id: BlobId): boolean {
    const first = this.table.find(id);
    return first < 0 ? this.unindexed.has(id) : this.records.has(first);
  }
}
