/**
 * Memory for cached plaintext: one buffer used as a ring. Runs of blobs are decoded into it one after
 * another, and each new run takes the place of the oldest ones, so copying a whole snapshot out of the
 * mount allocates nothing after the first lap (fresh buffers for every run kept the collector busy).
 */

/** A piece of the ring holding one run; `keys` are what the cache stores in it. */
export interface Region<K> {
  readonly start: number;
  readonly end: number;
  readonly keys: K[];
}

export class PlainRing<K> {
  private buf: Uint8Array | undefined;
  private head = 0;
  /** Regions in the order they were handed out: the oldest is the next to be overwritten. */
  private readonly regions: Region<K>[] = [];
  private first = 0;

  constructor(
    readonly capacity: number,
    /** Called with the keys of each region about to be overwritten. */
    private readonly evict: (region: Region<K>) => void,
  ) {}

  /** The largest piece handed out; larger runs get buffers of their own. */
  get maxPiece(): number {
    return Math.floor(this.capacity / 4);
  }

  /** `n` bytes of the ring (evicting what was there), or undefined when `n` exceeds maxPiece. */
  alloc(n: number): { bytes: Uint8Array; region: Region<K> } | undefined {
    if (n > this.maxPiece || n <= 0) return undefined;
    this.buf ??= new Uint8Array(this.capacity);
    if (this.head + n > this.capacity) this.head = 0;
    const start = this.head;
    const end = start + n;
    for (let r = this.regions[this.first]; r !== undefined && r.start < end && r.end > start; r = this.regions[this.first]) {
      this.regions[this.first++] = undefined as unknown as Region<K>;
      this.evict(r);
    }
    if (this.first > 1024 && this.first * 2 > this.regions.length) {
      this.regions.splice(0, this.first);
      this.first = 0;
    }
    const region: Region<K> = { start, end, keys: [] };
    this.regions.push(region);
    this.head = end;
    return { bytes: this.buf.subarray(start, end), region };
  }
}
