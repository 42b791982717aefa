/** An open-addressing index from numeric keys to the slots of a table kept in typed arrays: no object per entry. */

const MIN_CELLS = 16;
const MAX_LOAD = 0.7;
const TWO_32 = 2 ** 32;

/**
 * A multimap: one key may index several slots. The key of a slot is read back from the owner's table
 * (`keyOf`), so a cell is only the slot number (plus one; 0 is an empty cell). Linear probing, and
 * deletion by shifting the entries after a removed one back, so no tombstones pile up.
 */
export class SlotIndex {
  private cells = new Uint32Array(MIN_CELLS);
  private bits = Math.log2(MIN_CELLS);
  private count = 0;

  constructor(private readonly keyOf: (slot: number) => number) {}

  get size(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.cells.byteLength;
  }

  /** The first slot indexed under `key`, or -1. */
  find(key: number): number {
    const mask = this.cells.length - 1;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const cell = this.cells[i] as number;
      if (cell === 0) return -1;
      if (this.keyOf(cell - 1) === key) return cell - 1;
    }
  }

  /** Every slot indexed under `key`. */
  forEach(key: number, fn: (slot: number) => void): void {
    const mask = this.cells.length - 1;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const cell = this.cells[i] as number;
      if (cell === 0) return;
      if (this.keyOf(cell - 1) === key) fn(cell - 1);
    }
  }

  /** Indexes `slot`, whose key (as `keyOf` reads it) is `key`. */
  add(key: number, slot: number): void {
    if (this.count + 1 > this.cells.length * MAX_LOAD) this.grow();
    this.place(key, slot + 1);
    this.count++;
  }

  /** Removes `slot` from under `key`; false if it was not there. */
  remove(key: number, slot: number): boolean {
    const mask = this.cells.length - 1;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const cell = this.cells[i] as number;
      if (cell === 0) return false;
      if (cell === slot + 1) break;
    }
    // Shift back each following entry whose home is not between the hole and its cell.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const cell = this.cells[j] as number;
      if (cell === 0) break;
      const h = this.home(this.keyOf(cell - 1));
      if (((j - h) & mask) >= ((j - i) & mask)) {
        this.cells[i] = cell;
        i = j;
      }
    }
    this.cells[i] = 0;
    this.count--;
    return true;
  }

  private place(key: number, cell: number): void {
    const mask = this.cells.length - 1;
    let i = this.home(key);
    while (this.cells[i] !== 0) i = (i + 1) & mask;
    this.cells[i] = cell;
  }

  private grow(): void {
    const old = this.cells;
    this.cells = new Uint32Array(old.length * 2);
    this.bits++;
    for (const cell of old) if (cell !== 0) this.place(this.keyOf(cell - 1), cell);
  }

  /** Multiplicative hashing of both halves of an integer key below 2^53; the top bits pick the cell. */
  private home(key: number): number {
    const mixed = Math.imul((key >>> 0) ^ Math.imul(Math.floor(key / TWO_32), 0x85ebca6b), 0x9e3779b1);
    return mixed >>> (32 - this.bits);
  }
}
