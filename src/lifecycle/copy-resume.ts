/**
 * Where copying a changed large file can start: the destination chunks of an earlier copy that lie within the
 * bytes both versions share at their start are the same chunks, so they are taken over and those bytes not read.
 */
import type { BlobId } from '../core/ids.js';
import type { Content } from './copy-content-types.js';

/** A large file copied earlier in this run: its source blobs with their plaintext lengths, and its destination content. */
export interface LargeCopy {
  readonly srcIds: readonly BlobId[];
  readonly srcLengths: readonly number[];
  readonly dst: Content;
}

export interface Resume {
  /** Leading destination chunks taken over from the earlier copy. */
  readonly chunks: number;
  /** The source blob reading starts at, and the bytes of it to pass over. */
  readonly blob: number;
  readonly skip: number;
  /** Plaintext lengths of the source blobs before `blob` (the same blobs as the earlier copy's). */
  readonly lengths: readonly number[];
}

/**
 * A cut depends only on the bytes since its chunk began (FORMAT §8), so every chunk of the earlier copy that ends
 * within the shared leading source blobs is cut again the same; chunking resumes, afresh, where the last of them
 * ends. The earlier copy's last chunk ended with its file, not at a cut, and is never taken over.
 */
export function resumePoint(ids: readonly BlobId[], prev: LargeCopy | undefined): Resume {
  if (!prev) return { chunks: 0, blob: 0, skip: 0, lengths: [] };
  let shared = 0;
  let k = 0;
  for (; k < ids.length && k < prev.srcIds.length && ids[k] === prev.srcIds[k]; k++) shared += prev.srcLengths[k] ?? 0;
  const sizes = prev.dst.sizes;
  let chunks = 0;
  let end = 0;
  for (; chunks < sizes.length - 1 && end + (sizes[chunks] ?? 0) <= shared; chunks++) end += sizes[chunks] ?? 0;
  let blob = 0;
  let at = 0;
  for (; blob < k && at + (prev.srcLengths[blob] ?? 0) <= end; blob++) at += prev.srcLengths[blob] ?? 0;
  return { chunks, blob, skip: end - at, lengths: prev.srcLengths.slice(0, blob) };
}
