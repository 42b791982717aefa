/** Reads byte ranges of recorded files chunk by chunk, with sequential read-ahead. */
import { corrupt } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import type { DirListing, FileChunks } from './dir-listing.js';
import type { BlobCache } from './blob-cache.js';
import { MiB } from '../core/sizes.js';

/** Per file: the last chunk read, to tell sequential from random access, and the last chunk handed to `ahead`. */
export interface ReadState {
  lastChunk: number;
  lastAhead: number;
}

/** Gets chunks read ahead: their offset in the file and their bytes. */
export type AheadSink = (offset: number, data: Uint8Array) => void;

const SIBLING_FILES = 64;
const SIBLING_BYTES = 8 * MiB;

export const newReadState = (): ReadState => ({ lastChunk: -1, lastAhead: -1 });

export class ChunkReader {
  private readonly ends = new WeakMap<FileChunks, Float64Array>();

  constructor(
    private readonly blobs: BlobCache,
    private readonly readAhead: number,
  ) {}

  /**
   * Up to `len` bytes at `pos`, as views of the cached chunks (none at or past the end): at once when
   * every chunk needed is cached, else once they are fetched. A sequential read fetches the next
   * chunks ahead and hands each, once, to `ahead`.
   */
  read(file: FileChunks, state: ReadState, len: number, pos: number, ahead?: AheadSink): Uint8Array[] | Promise<Uint8Array[]> {
    const content = file.content ?? [];
    const ends = this.chunkEnds(file);
    const first = chunkAt(ends, pos);
    const end = Math.min(pos + len, ends.length === 0 ? 0 : (ends[ends.length - 1] as number));
    if (first >= content.length || end <= pos) return [];
    const last = chunkAt(ends, end - 1);
    const sequential = pos === 0 || first === state.lastChunk || first === state.lastChunk + 1;
    state.lastChunk = last;
    const cached: Uint8Array[] = [];
    for (let i = first; i <= last && cached.length === i - first; i++) {
      const data = this.blobs.peek(content[i] as BlobId);
      if (data !== undefined) cached.push(data);
    }
    // The chunks asked for are requested before any read-ahead, so they are fetched first.
    const result =
      cached.length > last - first
        ? this.slices(cached, ends, first, pos, end, content)
        : this.fetchRange(content, ends, first, last, pos, end);
    if (sequential) this.prefetch(content, ends, last, state, ahead);
    return result;
  }

  private async fetchRange(
    content: readonly BlobId[],
    ends: Float64Array,
    first: number,
    last: number,
    pos: number,
    end: number,
  ): Promise<Uint8Array[]> {
    const chunks = await this.blobs.getAll(content.slice(first, last + 1));
    return this.slices(chunks, ends, first, pos, end, content);
  }

  /** The parts of chunks `first`.. covering [pos, end), each chunk checked against its recorded size. */
  private slices(
    chunks: readonly Uint8Array[],
    ends: Float64Array,
    first: number,
    pos: number,
    end: number,
    content: readonly BlobId[],
  ): Uint8Array[] {
    const parts: Uint8Array[] = [];
    chunks.forEach((data, k) => {
      const i = first + k;
      const start = i === 0 ? 0 : (ends[i - 1] as number);
      const expected = (ends[i] as number) - start;
      if (data.byteLength !== expected) throw corrupt(`data blob ${content[i] as string} (${data.byteLength} bytes, expected ${expected})`);
      parts.push(data.subarray(Math.max(pos, start) - start, Math.min(end, start + expected) - start));
    });
    return parts;
  }

  /**
   * Copies walk a directory in order, one file at a time: on the first read of a file, fetch the
   * files after it, so backend latency overlaps instead of adding up per file.
   */
  prefetchSiblings(siblings: DirListing, after: number): void {
    let bytes = 0;
    let large = false;
    const last = Math.min(siblings.length - 1, after + SIBLING_FILES);
    for (let j = after + 1; j <= last && bytes < SIBLING_BYTES; j++) {
      const first = siblings.firstChunk(j);
      if (first === undefined) continue;
      // Only the next large file's first chunk: each costs a window of its pack, and windows
      // fetched far ahead are evicted before they are read.
      if (!first.whole && large) continue;
      large ||= !first.whole;
      bytes += first.size;
      if (!this.blobs.has(first.id)) this.blobs.get(first.id, 'neighbour').catch(() => undefined);
    }
  }

  private prefetch(content: readonly BlobId[], ends: Float64Array, after: number, state: ReadState, ahead?: AheadSink): void {
    const last = Math.min(content.length - 1, after + this.readAhead);
    for (let j = after + 1; j <= last; j++) {
      const id = content[j] as BlobId;
      if (ahead !== undefined && j > state.lastAhead) {
        state.lastAhead = j;
        const offset = ends[j - 1] as number;
        const size = (ends[j] as number) - offset;
        this.blobs.get(id, 'ahead').then(
          (data) => data.byteLength === size && ahead(offset, data),
          () => undefined,
        );
      } else if (!this.blobs.has(id)) {
        this.blobs.get(id, 'ahead').catch(() => undefined);
      }
    }
  }

  private chunkEnds(file: FileChunks): Float64Array {
    let ends = this.ends.get(file);
    if (!ends) {
      ends = new Float64Array(file.sizes?.length ?? 0);
      let total = 0;
      file.sizes?.forEach((size, i) => {
        total += size;
        (ends as Float64Array)[i] = total;
      });
      this.ends.set(file, ends);
    }
    return ends;
  }
}

/** Index of the chunk holding byte `pos`: the first whose end is beyond it (binary search). */
export function chunkAt(ends: Float64Array, pos: number): number {
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ends[mid] as number) <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
