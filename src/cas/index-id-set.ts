/** A compact, exact set of blob ids (32 raw bytes a slot), bounded unless told otherwise. */
import { fromHex, ID_BYTES, toHex, type BlobId } from '../core/ids.js';

const MIN_SLOTS = 1 << 10;

/**
 * Open addressing with linear probing; ids are HMAC outputs, so their first bytes are a
 * uniform hash. About 32–85 bytes per id instead of ≈ 100 for a Set of hex strings.
 * When `maxSize` ids are held the set empties itself: it is then an accelerator in front of the
 * authoritative index, never the only record of an id. With an infinite `maxSize` it is a plain set.
 */
export class BlobIdSet {
  private slots = new Uint8Array(MIN_SLOTS * ID_BYTES);
  private used = new Uint8Array(MIN_SLOTS);
  private count = 0;

  constructor(private readonly maxSize = 1 << 18) {}

  get size(): number {
    return this.count;
  }

  has(id: BlobId): boolean {
    return this.find(fromHex(id)) >= 0;
  }

  add(id: BlobId): void {
    const bytes = fromHex(id);
    if (this.find(bytes) >= 0) return;
    if (this.count >= this.maxSize) this.clear();
    if ((this.count + 1) * 4 > this.used.length * 3) this.grow();
    this.insert(bytes);
  }

  /** The ids held, in no particular order. */
  *[Symbol.iterator](): IterableIterator<BlobId> {
    for (let i = 0; i < this.used.length; i++) {
      if (this.used[i] === 1) yield toHex(this.slots.subarray(i * ID_BYTES, (i + 1) * ID_BYTES)) as BlobId;
    }
  }

  clear(): void {
    this.slots = new Uint8Array(MIN_SLOTS * ID_BYTES);
    this.used = new Uint8Array(MIN_SLOTS);
    this.count = 0;
  }

  private find(bytes: Uint8Array): number {
    const mask = this.used.length - 1;
    for (let i = hash(bytes) & mask; this.used[i] === 1; i = (i + 1) & mask) {
      if (this.equalsSlot(i, bytes)) return i;
    }
    return -1;
  }

  private insert(bytes: Uint8Array): void {
    const mask = this.used.length - 1;
    let i = hash(bytes) & mask;
    while (this.used[i] === 1) i = (i + 1) & mask;
    this.used[i] = 1;
    this.slots.set(bytes, i * ID_BYTES);
    this.count++;
  }

  private equalsSlot(i: number, bytes: Uint8Array): boolean {
    const base = i * ID_BYTES;
    for (let j = 0; j < ID_BYTES; j++) if (this.slots[base + j] !== bytes[j]) return false;
    return true;
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldUsed = this.used;
    this.slots = new Uint8Array(oldSlots.length * 2);
    this.used = new Uint8Array(oldUsed.length * 2);
    this.count = 0;
    for (let i = 0; i < oldUsed.length; i++) {
      if (oldUsed[i] === 1) this.insert(oldSlots.subarray(i * ID_BYTES, (i + 1) * ID_BYTES));
    }
  }
}

function hash(bytes: Uint8Array): number {
  return ((bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8) | ((bytes[2] ?? 0) << 16) | ((bytes[3] ?? 0) << 24)) >>> 0;
}
