/** Frames (FORMAT §3): `u8 compression id ‖ payload`, the plaintext of every sealed object. */
import { corrupt, invalidArgument } from '../core/errors.js';
import { compressInto, decompressAll, decompressInto, frameContentSize } from './zstd.js';

/** Compression registry ids (FORMAT §2). */
export const CompressionId = { none: 0, zstd: 1 } as const;
export type CompressionId = (typeof CompressionId)[keyof typeof CompressionId];

/** A compressed frame wasting more than this fraction of its buffer is copied into a tight one. */
const MAX_SLACK = 0.25;

/**
 * Frame `data`, zstd-compressed at level `compress` unless that does not make it smaller (then raw).
 * The result is a fresh buffer of its own (safe to transfer to another thread).
 */
export function encodeFrame(data: Uint8Array, compress: false | number): Uint8Array {
  if (compress !== false && !Number.isInteger(compress)) throw invalidArgument(`zstd level must be an integer, got ${compress}`);
  const out = Buffer.allocUnsafeSlow(1 + data.length);
  if (compress !== false && data.length > 0) {
    const length = tryCompress(out.subarray(1), data, compress);
    if (length < data.length) {
      out[0] = CompressionId.zstd;
      return tight(out, 1 + length);
    }
  }
  out[0] = CompressionId.none;
  out.set(data, 1);
  return out;
}

/** Compressed length, or Infinity when it would not fit in `dst` (i.e. would not be smaller than the input). */
function tryCompress(dst: Uint8Array, src: Uint8Array, level: number): number {
  try {
    return compressInto(dst, src, level);
  } catch {
    return Infinity;
  }
}

function tight(buf: Buffer, length: number): Uint8Array {
  if (length >= buf.length * (1 - MAX_SLACK)) return buf.subarray(0, length);
  const copy = Buffer.allocUnsafeSlow(length);
  buf.copy(copy, 0, 0, length);
  return copy;
}

/**
 * The plaintext inside a frame (a view into `frame` when stored raw). Throws RozenError CorruptData
 * on an unknown compression id, a bad zstd payload, or a length other than `expectedLength`.
 */
export function decodeFrame(frame: Uint8Array, expectedLength?: number): Uint8Array {
  if (frame.length < 1) throw corrupt('frame (empty)');
  const payload = frame.subarray(1);
  let plain: Uint8Array;
  if (frame[0] === CompressionId.none) plain = payload;
  else if (frame[0] === CompressionId.zstd) plain = decompress(payload, expectedLength);
  else throw corrupt(`frame (unknown compression id ${String(frame[0])})`);
  if (expectedLength !== undefined && plain.length !== expectedLength) {
    throw corrupt(`frame (length ${plain.length}, expected ${expectedLength})`);
  }
  return plain;
}

function decompress(payload: Uint8Array, expectedLength: number | undefined): Uint8Array {
  if (payload.length === 0) throw corrupt('frame (empty zstd payload)');
  try {
    return expectedLength === undefined ? decompressAll(payload) : decompressSized(payload, expectedLength);
  } catch (err) {
    throw corrupt('frame (bad zstd payload)', err);
  }
}

function decompressSized(payload: Uint8Array, expectedLength: number): Uint8Array {
  const declared = frameContentSize(payload);
  if (declared !== null && declared !== expectedLength) {
    throw corrupt(`frame (declares ${declared} bytes, expected ${expectedLength})`);
  }
  const out = Buffer.allocUnsafeSlow(expectedLength);
  return out.subarray(0, decompressInto(out, payload));
}
