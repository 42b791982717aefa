/** Sealing blobs in the addon (src/native/seal_blobs.c) on the libuv pool: id, frame and cipher with no JS per byte. */
import { addon } from '../core/addon.js';
import type { BlobId } from '../core/ids.js';
import { blobIdBytes } from '../crypto/blob-id.js';

/**
 * A small file's bytes as the addon's readFiles read them, held in the addon (src/native/held_bytes.h): no copy
 * reaches JavaScript, and sealing them frees them. Sealed once, never hashed alone (hashBlobs refuses them).
 */
export interface HeldBytes {
  readonly length: number;
  /** mostlyZeros (codec/policy.ts) of the first 64 KiB. */
  readonly mostlyZeros: boolean;
  readonly [held]: true;
}
declare const held: unique symbol;

/** A blob's plaintext in JavaScript: one buffer, or its pieces in order (a chunk cut across read buffers, not joined first). */
export type BlobBytes = Uint8Array | readonly Uint8Array[];

/** A blob's plaintext to seal: in JavaScript, or held in the addon. */
export type BlobData = BlobBytes | HeldBytes;

/** The bytes in `data`. */
export function byteLength(data: BlobData): number {
  if (data instanceof Uint8Array) return data.length;
  if (!Array.isArray(data)) return (data as HeldBytes).length;
  let n = 0;
  for (const piece of data as readonly Uint8Array[]) n += piece.length;
  return n;
}

export interface SealInput {
  /** Read where it lies: it must not change until the returned promise settles. */
  readonly data: BlobData;
  /** zstd level (kept only when it makes the blob smaller), or false to store raw. */
  readonly level: number | false;
  /** Known id (from an earlier hash), else computed. */
  readonly id?: BlobId;
}

export interface SealedBlob {
  readonly id: BlobId;
  /** nonce ‖ ciphertext ‖ tag: a view of one buffer shared by the blobs of the call. */
  readonly sealed: Uint8Array;
  readonly rawLength: number;
  /** Length of the frame before sealing (compressed size + 1), for the codec's statistics. */
  readonly framed: number;
}

interface SealNative {
  sealBlobs(
    keys: Uint8Array,
    blobs: readonly BlobData[],
    ids: Uint8Array,
    known: Uint8Array,
    levels: Int32Array,
    layout: Float64Array,
  ): Promise<Buffer>;
  hashBlobs(keys: Uint8Array, blobs: readonly BlobBytes[], ids: Uint8Array): Promise<void>;
}

/** levels[i] of a blob stored raw (seal_blobs.c). */
const LEVEL_RAW = -(2 ** 31);
const LAYOUT_FIELDS = 3;

const native = (): SealNative => addon() as SealNative;

function idsOf(ids: Buffer, count: number): BlobId[] {
  return Array.from({ length: count }, (_, i) => ids.toString('hex', 32 * i, 32 * i + 32) as BlobId);
}

/** Seals `inputs` in one job on the pool (keys: encryption key ‖ id key, see nativeKeys). */
export async function sealBlobs(keys: Uint8Array, inputs: readonly SealInput[]): Promise<SealedBlob[]> {
  const n = inputs.length;
  const ids = Buffer.alloc(32 * n);
  const known = new Uint8Array(n);
  const levels = new Int32Array(n);
  inputs.forEach((input, i) => {
    if (input.id !== undefined) {
      ids.set(blobIdBytes(input.id), 32 * i);
      known[i] = 1;
    }
    levels[i] = input.level === false ? LEVEL_RAW : input.level;
  });
  const layout = new Float64Array(LAYOUT_FIELDS * n);
  const out = await native().sealBlobs(
    keys,
    inputs.map((input) => input.data),
    ids,
    known,
    levels,
    layout,
  );
  const hex = idsOf(ids, n);
  return inputs.map((input, i) => {
    const at = layout[LAYOUT_FIELDS * i]!;
    return {
      id: input.id ?? hex[i]!,
      sealed: out.subarray(at, at + layout[LAYOUT_FIELDS * i + 1]!),
      rawLength: byteLength(input.data),
      framed: layout[LAYOUT_FIELDS * i + 2]!,
    };
  });
}

/** The ids of `blobs`, hashed in one job on the pool. */
export async function hashBlobs(keys: Uint8Array, blobs: readonly BlobBytes[]): Promise<BlobId[]> {
  const ids = Buffer.alloc(32 * blobs.length);
  await native().hashBlobs(keys, blobs, ids);
  return idsOf(ids, blobs.length);
}
