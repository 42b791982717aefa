/** Reading a file front to back into buffers, without reading its holes. */
import type { FileHandle } from 'node:fs/promises';
import { dataRanges, type DataRange } from './sparse.js';

/**
 * Fills buffers with a file's bytes in order. For a sparse file the holes the kernel reports at
 * the start (SEEK_DATA/SEEK_HOLE) are filled with zeros here instead of being read: a read of a
 * hole makes the kernel zero pages and copy them out, which for a disk image is most of its cost.
 * Past the size the file had when it was opened, it is read as it is (it may have grown).
 */
export class SourceReader {
  readonly #fh: FileHandle;
  /** Data ranges in order, up to the size the file had; undefined for a dense file (read throughout). */
  readonly #ranges: readonly DataRange[] | undefined;
  readonly #size: number;
  #position = 0;
  #range = 0;
  #ended = false;

  constructor(fh: FileHandle, sparse?: { readonly size: number }) {
    this.#fh = fh;
    this.#size = sparse?.size ?? 0;
    this.#ranges = sparse ? dataRanges(fh.fd, sparse.size) : undefined;
  }

  /** Reads until `buf` is full or the file ends; returns the bytes placed in it. */
  async fill(buf: Buffer): Promise<number> {
    let got = 0;
    while (got < buf.length && !this.#ended) {
      const n = await this.#next(buf.subarray(got));
      if (n === 0) this.#ended = true;
      got += n;
      this.#position += n;
    }
    return got;
  }

  /** Bytes from the current position into `into`: zeros up to the next data range, or one read. */
  async #next(into: Buffer): Promise<number> {
    const ranges = this.#ranges;
    if (ranges !== undefined && this.#position < this.#size) {
      while (this.#range < ranges.length && ranges[this.#range]!.offset + ranges[this.#range]!.length <= this.#position) this.#range++;
      const range = ranges[this.#range];
      const dataAt = range?.offset ?? this.#size;
      if (this.#position < dataAt) {
        const zeros = Math.min(into.length, dataAt - this.#position);
        into.fill(0, 0, zeros);
        return zeros;
      }
      const end = range!.offset + range!.length;
      return (await this.#fh.read(into, 0, Math.min(into.length, end - this.#position), this.#position)).bytesRead;
    }
    return (await this.#fh.read(into, 0, into.length, this.#position)).bytesRead;
  }
}
