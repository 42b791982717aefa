/**
 * The snapshot nodes the kernel holds, as fixed-size records in typed arrays: what to find a node by
 * (its directory's listing and its position there) and how many references the kernel holds, never
 * the node itself. A million held files cost tens of MB, not the decoded trees they came from.
 */
import { PagedArray } from './paged-array.js';
import { SlotIndex } from './slot-index.js';

/** Key of a record without a whole-file blob (see blobKey). */
export const NO_BLOB = 0;
const NO_SLOT = 0xffffffff;

export class HeldNodes {
  private readonly ino = new PagedArray((n) => new Float64Array(n));
  private readonly refs = new PagedArray((n) => new Float64Array(n));
  /** The held directory listing the node (a number the caller hands out) and the node's position in it. */
  private readonly dir = new PagedArray((n) => new Uint32Array(n));
  private readonly index = new PagedArray((n) => new Uint32Array(n));
  private readonly blob = new PagedArray((n) => new Float64Array(n));
  /** 1 once the node's whole content was pushed to the kernel's page cache. */
  private readonly pushed = new PagedArray((n) => new Uint8Array(n));
  private readonly columns = [this.ino, this.refs, this.dir, this.index, this.blob, this.pushed];
  /** Slots ever used; freed ones are chained through `index` from `freeHead`. */
  private used = 0;
  private freeHead = NO_SLOT;
  private readonly byIno = new SlotIndex((slot) => this.ino.get(slot));
  private readonly byBlob = new SlotIndex((slot) => this.blob.get(slot));

  get size(): number {
    return this.byIno.size;
  }

  /** Bytes of every array the records take (for the per-node bound). */
  get byteLength(): number {
    return this.columns.reduce((n, c) => n + c.byteLength, 0) + this.byIno.byteLength + this.byBlob.byteLength;
  }

  /** One more kernel reference to `ino` if it is held; false if it is not. */
  addRef(ino: number): boolean {
    const slot = this.byIno.find(ino);
    if (slot >= 0) this.refs.set(slot, this.refs.get(slot) + 1);
    return slot >= 0;
  }

  /**
   * A record of one reference to `ino`, which must not be held. `blobKey` (NO_BLOB for none) finds the
   * node again by the one blob that holds all its bytes.
   */
  add(ino: number, dir: number, index: number, blobKey: number): void {
    const slot = this.allocate();
    this.ino.set(slot, ino);
    this.refs.set(slot, 1);
    this.dir.set(slot, dir);
    this.index.set(slot, index);
    this.blob.set(slot, blobKey);
    this.pushed.set(slot, 0);
    this.byIno.add(ino, slot);
    if (blobKey !== NO_BLOB) this.byBlob.add(blobKey, slot);
  }

  /** `count` fewer references to `ino`: the directory number of its record when that was the last, else -1. */
  forget(ino: number, count: number): number {
    const slot = this.byIno.find(ino);
    if (slot < 0) return -1;
    const refs = this.refs.get(slot) - count;
    if (refs > 0) {
      this.refs.set(slot, refs);
      return -1;
    }
    this.byIno.remove(ino, slot);
    const blobKey = this.blob.get(slot);
    if (blobKey !== NO_BLOB) this.byBlob.remove(blobKey, slot);
    this.index.set(slot, this.freeHead);
    this.freeHead = slot;
    return this.dir.get(slot);
  }

  /** The record of `ino`, or -1. */
  slotOf(ino: number): number {
    return this.byIno.find(ino);
  }

  dirAt(slot: number): number {
    return this.dir.get(slot);
  }

  indexAt(slot: number): number {
    return this.index.get(slot);
  }

  refsAt(slot: number): number {
    return this.refs.get(slot);
  }

  /** Marks the whole content of `ino` as pushed to the kernel's page cache: true the first time since it is held. */
  firstPush(ino: number): boolean {
    const slot = this.byIno.find(ino);
    if (slot < 0 || this.pushed.get(slot) === 1) return false;
    this.pushed.set(slot, 1);
    return true;
  }

  /** Calls `fn` with each held node recorded with `blobKey`. */
  withBlob(blobKey: number, fn: (ino: number) => void): void {
    if (blobKey !== NO_BLOB) this.byBlob.forEach(blobKey, (slot) => fn(this.ino.get(slot)));
  }

  private allocate(): number {
    if (this.freeHead !== NO_SLOT) {
      const slot = this.freeHead;
      this.freeHead = this.index.get(slot);
      return slot;
    }
    if (this.used === this.ino.length) for (const c of this.columns) c.reserve(this.used + 1);
    return this.used++;
  }
}

/** A blob id's first 52 bits as a number: the key that finds held files by the blob of their bytes (0 finds none). */
export function blobKeyOf(id: string): number {
  const key = Number.parseInt(id.slice(0, 13), 16);
  return Number.isNaN(key) ? NO_BLOB : key;
}

/** blobKeyOf of the id whose bytes start at `at`. */
export function blobKeyAt(bytes: Uint8Array, at: number): number {
  let key = 0;
  for (let k = 0; k < 6; k++) key = key * 256 + (bytes[at + k] as number);
  return key * 16 + ((bytes[at + 6] as number) >> 4);
}
