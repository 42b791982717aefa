/** A fixed-size set of small integers (record numbers), one bit each. */
export class BitSet {
  readonly #bits: Uint8Array;

  constructor(readonly size: number) {
    this.#bits = new Uint8Array(Math.ceil(size / 8));
  }

  has(i: number): boolean {
    return ((this.#bits[i >>> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  /** Adds `i` (below `size`); false when it was there. */
  add(i: number): boolean {
    const byte = this.#bits[i >>> 3] ?? 0;
    const bit = 1 << (i & 7);
    if ((byte & bit) !== 0) return false;
    this.#bits[i >>> 3] = byte | bit;
    return true;
  }

  /** The members of either set (of the same size). */
  static union(a: BitSet, b: BitSet): BitSet {
    const out = new BitSet(a.size);
    for (let i = 0; i < out.#bits.length; i++) out.#bits[i] = (a.#bits[i] ?? 0) | (b.#bits[i] ?? 0);
    return out;
  }
}
