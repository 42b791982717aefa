/** Re-sealing another repository's stored blobs in the addon (src/native/reseal_blobs.c), for copy. */
import { addon } from '../core/addon.js';
import type { RozenError } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import { blobIdBytes } from '../crypto/blob-id.js';
import { blobError } from './native-open.js';

/** A source blob as stored: its id and plaintext length there, and its sealed bytes. */
export interface ResealInput {
  readonly id: BlobId;
  readonly sealed: Uint8Array;
  readonly rawLength: number;
}

/** The same blob for the destination: its id there, sealed with its keys (a view of one buffer per call). */
export interface Resealed {
  readonly id: BlobId;
  readonly sealed: Uint8Array;
  readonly rawLength: number;
}

interface ResealNative {
  resealBlobs(
    srcKeys: Uint8Array,
    dstKeys: Uint8Array,
    blobs: readonly Uint8Array[],
    rawLengths: Float64Array,
    srcIds: Uint8Array,
    dstIds: Uint8Array,
    out: Uint8Array,
  ): Promise<Int32Array>;
}

/**
 * `blobs` opened with `srcKeys` (tag, frame, id) and their frames, not compressed again, sealed with `dstKeys`
 * (encryption key ‖ id key each, see nativeKeys) under the ids those give their plaintexts. One job on the pool;
 * per blob, the re-sealed blob or the CorruptData error naming it.
 */
export async function resealBlobs(
  srcKeys: Uint8Array,
  dstKeys: Uint8Array,
  blobs: readonly ResealInput[],
): Promise<(Resealed | RozenError)[]> {
  const n = blobs.length;
  const srcIds = new Uint8Array(32 * n);
  const rawLengths = new Float64Array(n);
  let total = 0;
  blobs.forEach((b, i) => {
    srcIds.set(blobIdBytes(b.id), 32 * i);
    rawLengths[i] = b.rawLength;
    total += b.sealed.length;
  });
  const dstIds = Buffer.alloc(32 * n);
  const out = Buffer.allocUnsafeSlow(total);
  const sealed = blobs.map((b) => b.sealed);
  const results = await (addon() as ResealNative).resealBlobs(srcKeys, dstKeys, sealed, rawLengths, srcIds, dstIds, out);
  let at = 0;
  return blobs.map((b, i) => {
    at += b.sealed.length;
    if (results[i] !== 0) return blobError(b.id, results[i]!);
    return {
      id: dstIds.toString('hex', 32 * i, 32 * i + 32) as BlobId,
      sealed: out.subarray(at - b.sealed.length, at),
      rawLength: b.rawLength,
    };
  });
}
