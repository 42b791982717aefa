/** Sparse files: finding the data regions of a file to read, and writing restored data with holes. */
import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { native } from './native.js';

export interface DataRange {
  readonly offset: number;
  readonly length: number;
}

const BLOCK = 4096;
const ZEROS = Buffer.alloc(BLOCK);

/**
 * The regions of a file of `size` bytes that hold data (SEEK_DATA/SEEK_HOLE); everything else
 * reads as zeros. Falls back to one range over the whole file where the filesystem cannot tell.
 */
export function dataRanges(fd: number, size: number): DataRange[] {
  const n = native();
  const ranges: DataRange[] = [];
  try {
    for (let pos = n.seek(fd, 0, 'data'); pos >= 0 && pos < size; pos = n.seek(fd, pos, 'data')) {
      const end = Math.min(n.seek(fd, pos, 'hole'), size);
      ranges.push({ offset: pos, length: end - pos });
      pos = end;
      if (pos >= size) break;
    }
  } catch {
    return size > 0 ? [{ offset: 0, length: size }] : [];
  }
  return ranges;
}

/** [start, end) runs of `buf` (placed at `position` in a file) that are not whole zero blocks. */
export function dataRuns(buf: Buffer, position: number): [number, number][] {
  const runs: [number, number][] = [];
  let runStart = -1;
  let off = 0;
  while (off < buf.length) {
    const end = Math.min(buf.length, off + BLOCK - ((position + off) % BLOCK));
    const zero = buf.subarray(off, end).equals(ZEROS.subarray(0, end - off));
    if (!zero && runStart < 0) runStart = off;
    if (zero && runStart >= 0) {
      runs.push([runStart, off]);
      runStart = -1;
    }
    off = end;
  }
  if (runStart >= 0) runs.push([runStart, buf.length]);
  return runs;
}

/** Synchronous sparse write to a file descriptor (restore's hot path): zero blocks are skipped. */
export function writeSparseSync(fd: number, data: Uint8Array, position: number): void {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (const [start, end] of dataRuns(buf, position)) writeAllSync(fd, buf.subarray(start, end), position + start);
}

export function writeAllSync(fd: number, buf: Uint8Array, position: number): void {
  for (let done = 0; done < buf.length;) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

/**
 * Writes a file's data without writing blocks that are all zeros, so they stay holes. The file
 * must start empty (opened with O_TRUNC or just created); `finish` sets the final size.
 */
export class SparseWriter {
  constructor(private readonly handle: FileHandle) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    for (const [start, end] of dataRuns(buf, position)) await this.writeAll(buf.subarray(start, end), position + start);
  }

  /** Sets the file's length to `size`; a trailing hole is made by extending, not by writing. */
  async finish(size: number): Promise<void> {
    await this.handle.truncate(size);
  }

  private async writeAll(buf: Buffer, position: number): Promise<void> {
    for (let done = 0; done < buf.length;) {
      const { bytesWritten } = await this.handle.write(buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
  }
}
