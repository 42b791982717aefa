/** Reads byte ranges of recorded files chunk by chunk, with sequential read-ahead. */
import { corrupt } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import type { Node } from '../snapshot/node.js';
import type { BlobCache } from './blob-cache.js';

/** Per open file: the last chunk read, to tell sequential from random access. */
export interface ReadState {
  lastChunk: number;
}

const SIBLING_FILES = 16;
const SIBLING_BYTES = 8 * 1024 * 1024;

export const newReadState = (): ReadState => ({ lastChunk: -1 });

export class FileReader {
  private readonly ends = new WeakMap<Node, Float64Array>();

  constructor(
    private readonly blobs: BlobCache,
    private readonly readAhead: number,
  ) {}

  /** Copies up to `len` bytes at `pos` into `buf`; returns the count (0 at or past the end). */
  async read(node: Node, state: ReadState, buf: Uint8Array, len: number, pos: number): Promise<number> {
    const content = node.content ?? [];
    const ends = this.chunkEnds(node);
    let i = chunkAt(ends, pos);
    if (i >= content.length) return 0;
    const sequential = pos === 0 || i === state.lastChunk || i === state.lastChunk + 1;
    let done = 0;
    while (done < len && i < content.length) {
      const start = i === 0 ? 0 : (ends[i - 1] as number);
      const data = await this.chunk(content, ends, i);
      const from = pos + done - start;
      const n = Math.min(data.byteLength - from, len - done);
      buf.set(data.subarray(from, from + n), done);
      done += n;
      state.lastChunk = i;
      if (done < len) i++;
    }
    if (sequential) this.prefetch(content, i);
    return done;
  }

  /**
   * Restores walk a directory in order, one file at a time: on opening a file, fetch the first
   * blobs of the files after it, so backend latency overlaps instead of adding up per file.
   */
  prefetchSiblings(siblings: readonly Node[], after: number): void {
    let bytes = 0;
    const last = Math.min(siblings.length - 1, after + SIBLING_FILES);
    for (let j = after + 1; j <= last && bytes < SIBLING_BYTES; j++) {
      const node = siblings[j] as Node;
      const id = node.type === 'file' ? node.content?.[0] : undefined;
      if (id === undefined) continue;
      bytes += node.sizes?.[0] ?? 0;
      if (!this.blobs.has(id)) this.blobs.get(id, true).catch(() => undefined);
    }
  }

  private async chunk(content: readonly BlobId[], ends: Float64Array, i: number): Promise<Uint8Array> {
    const id = content[i] as BlobId;
    const data = await this.blobs.get(id);
    const expected = (ends[i] as number) - (i === 0 ? 0 : (ends[i - 1] as number));
    if (data.byteLength !== expected) throw corrupt(`data blob ${id} (${data.byteLength} bytes, expected ${expected})`);
    return data;
  }

  private prefetch(content: readonly BlobId[], after: number): void {
    const last = Math.min(content.length - 1, after + this.readAhead);
    for (let j = after + 1; j <= last; j++) {
      const id = content[j] as BlobId;
      if (!this.blobs.has(id)) this.blobs.get(id, true).catch(() => undefined);
    }
  }

  private chunkEnds(node: Node): Float64Array {
    let ends = this.ends.get(node);
    if (!ends) {
      ends = new Float64Array(node.sizes?.length ?? 0);
      let total = 0;
      node.sizes?.forEach((size, i) => {
        total += size;
        (ends as Float64Array)[i] = total;
      });
      this.ends.set(node, ends);
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
