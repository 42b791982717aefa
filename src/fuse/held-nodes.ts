/**
 * The snapshot nodes the kernel holds, as fixed-size records in typed arrays: what to find a node by
 * (its directory's listing and its position there) and how many references the kernel holds, never
 * the node itself. A million held files cost tens of MB, not the decoded trees they came from.
 */
import { SlotIndex } from './slot-index.js';

const MIN_SLOTS = 64;
/** Key of a record without a whole-file blob (see blobKey). */
export const NO_BLOB = 0;

export class HeldNodes {
  private ino = new Float64Array(MIN_SLOTS);
  private refs = new Float64Array(MIN_SLOTS);
  /** The held directory listing the node (a number the caller hands out) and the node's position in it. */
  private dir = new Uint32Array(MIN_SLOTS);
  private index = new Uint32Array(MIN_SLOTS);
  private blob = new Float64Array(MIN_SLOTS);
  /** 1 once the node's whole content was pushed to the kernel's page cache. */
  private pushed = new Uint8Array(MIN_SLOTS);
  /** Slots ever used; freed ones are chained through `index` from `freeHead`. */
  private used = 0;
  private freeHead = -1;
  private readonly byIno = new SlotIndex((slot) => this.ino[slot] as number);
  private readonly byBlob = new SlotIndex((slot) => this.blob[slot] as number);

  get size(): number {
    return this.byIno.size;
  }

  /** Bytes of every array the records take (for the per-node bound). */
  get byteLength(): number {
    const columns = this.ino.byteLength + this.refs.byteLength + this.dir.byteLength + this.index.byteLength + this.blob.byteLength + this.pushed.byteLength;
    return columns + this.byIno.byteLength + this.byBlob.byteLength;
  }

  /** One more kernel reference to `ino` if it is held; false if it is not. */
  addRef(ino: number): boolean {
    const slot = this.byIno.find(ino);
    if (slot >= 0) this.refs[slot] = (this.refs[slot] as number) + 1;
    return slot >= 0;
  }

  /**
   * A record of one reference to `ino`, which must not be held. `blobKey` (NO_BLOB for none) finds the
   * node again by the one blob that holds all its bytes.
   */
  add(ino: number, dir: number, index: number, blobKey: number): void {
    const slot = this.allocate();
    this.ino[slot] = ino;
    this.refs[slot] = 1;
    this.dir[slot] = dir;
    this.index[slot] = index;
    this.blob[slot] = blobKey;
    this.pushed[slot] = 0;
    this.byIno.add(ino, slot);
    if (blobKey !== NO_BLOB) this.byBlob.add(blobKey, slot);
  }

  /** `count` fewer references to `ino`: the directory number of its record when that was the last, else -1. */
  forget(ino: number, count: number): number {
    const slot = this.byIno.find(ino);
    if (slot < 0) return -1;
    const refs = (this.refs[slot] as number) - count;
    if (refs > 0) {
      this.refs[slot] = refs;
      return -1;
    }
    this.byIno.remove(ino, slot);
    const blobKey = this.blob[slot] as number;
    if (blobKey !== NO_BLOB) this.byBlob.remove(blobKey, slot);
    this.index[slot] = this.freeHead;
    this.freeHead = slot;
    return this.dir[slot] as number;
  }

  /** The record of `ino`, or -1. */
  slotOf(ino: number): number {
    return this.byIno.find(ino);
  }

  dirAt(slot: number): number {
    return this.dir[slot] as number;
  }

  indexAt(slot: number): number {
    return this.index[slot] as number;
  }

  refsAt(slot: number): number {
    return this.refs[slot] as number;
  }

  /** Marks the whole content of `ino` as pushed to the kernel's page cache: true the first time since it is held. */
  firstPush(ino: number): boolean {
    const slot = this.byIno.find(ino);
    if (slot < 0 || this.pushed[slot] === 1) return false;
    this.pushed[slot] = 1;
    return true;
  }

  /** Calls `fn` with each held node recorded with `blobKey`. */
  withBlob(blobKey: number, fn: (ino: number) => void): void {
    if (blobKey !== NO_BLOB) this.byBlob.forEach(blobKey, (slot) => fn(this.ino[slot] as number));
  }

  private allocate(): number {
    if (this.freeHead >= 0) {
      const slot = this.freeHead;
      this.freeHead = this.index[slot] === 0xffffffff ? -1 : (this.index[slot] as number);
      return slot;
    }
    if (this.used === this.ino.length) this.grow(Math.ceil(this.used * 1.5));
    return this.used++;
  }

  private grow(slots: number): void {
    this.ino = resized(this.ino, slots);
    this.refs = resized(this.refs, slots);
    this.dir = resized(this.dir, slots);
    this.index = resized(this.index, slots);
    this.blob = resized(this.blob, slots);
    this.pushed = resized(this.pushed, slots);
  }
}

function resized<T extends Float64Array | Uint32Array | Uint8Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
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
