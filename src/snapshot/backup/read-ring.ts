/** A large file read into a ring of reused buffers, one buffer ahead of the chunking. */

/** Where the bytes come from (a SourceReader, or stdin): fills a buffer whole, or less only at the end (0 once ended). */
export interface Filler {
  fill(buf: Buffer): Promise<number>;
}

/**
 * The chunks cut from a buffer are hashed and sealed where they lie, a chunk cut across buffers as
 * its pieces (never joined into a copy), so a buffer is refilled only once every chunk with a piece
 * in it is done. As every buffer but the last is filled whole, a chunk still being assembled spans
 * at most ceil(max / buffer size) + 1 buffers: with one more, the ring's next buffer holds none of
 * it, and is filled (read ahead) while this one is cut.
 */
export class ReadRing {
  /** The buffers, to hand to the next large file once this one is done. */
  readonly buffers: Buffer[];
  readonly #reader: Filler;
  /** Per buffer, the jobs that may still read it. */
  readonly #inUse: Promise<unknown>[][];
  /** The buffer next() returned last. */
  #k = -1;
  /** The read into the buffer after it. */
  #ahead: Promise<number>;

  constructor(buffers: Buffer[], reader: Filler) {
    this.buffers = buffers;
    this.#reader = reader;
    this.#inUse = buffers.map(() => []);
    this.#ahead = this.#readInto(0);
  }

  /** The next bytes of the file, in the next buffer, whose successor is read meanwhile; undefined at the end. */
  async next(): Promise<Buffer | undefined> {
    const k = ++this.#k;
    const buf = this.buffers[k % this.buffers.length]!;
    const bytesRead = await this.#ahead;
    if (bytesRead === 0) return undefined;
    // A short read is the end of the file: nothing to read ahead.
    this.#ahead = bytesRead < buf.length ? Promise.resolve(0) : this.#readInto(k + 1);
    return buf.subarray(0, bytesRead);
  }

  /** Keeps the buffers of a chunk cut from the current one (it and the `pieces - 1` before it) until `done` settles. */
  pin(pieces: number, done: Promise<unknown>): void {
    for (let back = 0; back < pieces; back++) this.#inUse[(this.#k - back) % this.buffers.length]!.push(done);
  }

  /** Waits for a read ahead still filling a buffer: until then the file stays open and the buffers unshared. */
  async settled(): Promise<void> {
    await this.#ahead.catch(() => 0);
  }

  #readInto(k: number): Promise<number> {
    const slot = k % this.buffers.length;
    const p = Promise.allSettled(this.#inUse[slot]!).then(() => {
      this.#inUse[slot] = [];
      return this.#reader.fill(this.buffers[slot]!);
    });
    p.catch(() => undefined); // awaited in its turn; not an unhandled rejection if we stop first
    return p;
  }
}
