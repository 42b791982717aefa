/** Opening runs of stored blobs in the addon (src/native/open_blobs.c): decrypt, decompress, verify, no JS per blob. */
import { addon } from '../core/addon.js';
import { corrupt } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import { blobIdBytes } from '../crypto/blob-id.js';

/** Where one blob lies in the sealed bytes handed over, and its plaintext length. */
export interface BlobSpan {
  readonly id: BlobId;
  readonly at: number;
  readonly length: number;
  readonly rawLength: number;
}

type OpenFn<R> = (keys: Uint8Array, sealed: Uint8Array, layout: Float64Array, ids: Uint8Array, out: Uint8Array) => R;

interface OpenNative {
  openBlobs: OpenFn<Promise<Int32Array>>;
  openBlobsSync: OpenFn<Int32Array>;
}

const PROBLEMS = ['', 'too short', 'authentication failed', 'bad frame', 'wrong length', 'content does not match its id', 'out of memory'];

/** The repository keys as the addon takes them: encryption key ‖ id key. */
export function nativeKeys(encKey: Uint8Array, idKey: Uint8Array): Uint8Array {
  const keys = new Uint8Array(64);
  keys.set(encKey, 0);
  keys.set(idKey, 32);
  return keys;
}

/**
 * The plaintexts of `blobs` (lying in `sealed`), one after another in one buffer, new or of
 * `alloc(total bytes)`; on the libuv pool.
 */
export async function openBlobRun(keys: Uint8Array, sealed: Uint8Array, blobs: readonly BlobSpan[], alloc?: (bytes: number) => Uint8Array): Promise<Uint8Array> {
  const { layout, ids, out } = prepare(blobs, alloc);
  check(blobs, await (addon() as OpenNative).openBlobs(keys, sealed, layout, ids, out));
  return out;
}

/** The same, on this thread (worker threads). */
export function openBlobRunSync(keys: Uint8Array, sealed: Uint8Array, blobs: readonly BlobSpan[]): Uint8Array {
  const { layout, ids, out } = prepare(blobs);
  check(blobs, (addon() as OpenNative).openBlobsSync(keys, sealed, layout, ids, out));
  return out;
}

export function problemOf(code: number): string {
  return PROBLEMS[code] ?? `error ${code}`;
}

function prepare(blobs: readonly BlobSpan[], alloc?: (bytes: number) => Uint8Array): { layout: Float64Array; ids: Uint8Array; out: Uint8Array } {
  const layout = new Float64Array(3 * blobs.length);
  const ids = new Uint8Array(32 * blobs.length);
  let total = 0;
  blobs.forEach((b, i) => {
    layout[3 * i] = b.at;
    layout[3 * i + 1] = b.length;
    layout[3 * i + 2] = b.rawLength;
    ids.set(blobIdBytes(b.id), 32 * i);
    total += b.rawLength;
  });
  const out = alloc?.(total) ?? Buffer.allocUnsafeSlow(total);
  if (out.length !== total) throw new RangeError(`a buffer of ${out.length} bytes for ${total}`);
  return { layout, ids, out };
}

function check(blobs: readonly BlobSpan[], results: Int32Array): void {
  const bad = results.findIndex((r) => r !== 0);
  if (bad >= 0) throw corrupt(`blob ${(blobs[bad] as BlobSpan).id} (${problemOf(results[bad] as number)})`);
}
