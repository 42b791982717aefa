/** Opening runs of stored blobs in the addon (src/native/open_blobs.c): decrypt, decompress, verify, no JS per blob. */
import { addon } from '../core/addon.js';
import { corrupt, type RozenError } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import { KiB } from '../core/sizes.js';
import { blobIdBytes } from '../crypto/blob-id.js';

/** Where one blob lies in the sealed bytes handed over, and its plaintext length. */
export interface BlobSpan {
  readonly id: BlobId;
  readonly at: number;
  readonly length: number;
  readonly rawLength: number;
}

interface OpenNative {
  openBlobs(
    keys: Uint8Array,
    sealed: Uint8Array,
    layout: Float64Array,
    ids: Uint8Array,
    out: Uint8Array,
    checkIds?: boolean,
  ): Promise<Int32Array>;
  openBlobsSync(
    keys: Uint8Array,
    sealed: Uint8Array,
    layout: Float64Array,
    ids: Uint8Array,
    out: Uint8Array,
    checkIds: boolean,
  ): Int32Array;
  verifyBlobs(
    keys: Uint8Array,
    sealed: Uint8Array,
    layout: Float64Array,
    ids: Uint8Array,
    hashWhole: boolean,
  ): Promise<Int32Array & { sha256?: Buffer }>;
  authBlobs(keys: Uint8Array, sealed: Uint8Array, layout: Float64Array, ids: Uint8Array, hashWhole: boolean): Promise<Int32Array>;
}

/**
 * A run this small is opened on the JavaScript thread: a hop to the libuv pool and back (queueing, waking a thread,
 * the completion) costs more there than opening a few KiB, and a walk of trees waited on each hop.
 */
const SYNC_SEALED_BYTES = 16 * KiB;
const SYNC_PLAIN_BYTES = 64 * KiB;

const PROBLEMS = ['', 'too short', 'authentication failed', 'bad frame', 'wrong length', 'content does not match its id', 'out of memory'];

/** The repository keys as the addon takes them: encryption key ‖ id key. */
export function nativeKeys(encKey: Uint8Array, idKey: Uint8Array): Uint8Array {
  const keys = new Uint8Array(64);
  keys.set(encKey, 0);
  keys.set(idKey, 32);
  return keys;
}

/** How a run of blobs is opened. */
export interface OpenOptions {
  /**
   * False: each plaintext is vouched for by its authentication tag alone, which covers the blob id as
   * associated data (FORMAT §3), without re-hashing it to its id (§6). That check catches only a writer
   * that sealed other bytes than it hashed. True when left out.
   */
  readonly checkIds?: boolean;
}

/** The plaintexts of `blobs` (lying in `sealed`), one after another in one buffer; on the libuv pool. */
export async function openBlobRun(
  keys: Uint8Array,
  sealed: Uint8Array,
  blobs: readonly BlobSpan[],
  opts: OpenOptions = {},
): Promise<Uint8Array> {
  const { layout, ids, out } = prepare(blobs);
  const native = addon() as OpenNative;
  const checkIds = opts.checkIds ?? true;
  const small = out.length <= SYNC_PLAIN_BYTES && blobs.every((b) => b.length <= SYNC_SEALED_BYTES);
  check(
    blobs,
    small
      ? native.openBlobsSync(keys, sealed, layout, ids, out, checkIds)
      : await native.openBlobs(keys, sealed, layout, ids, out, checkIds),
  );
  return out;
}

/**
 * Opens and verifies `blobs` on the libuv pool without keeping their plaintext: per blob, '' or its
 * CorruptData message; with `hashWhole`, also the SHA-256 of `sealed` (a whole pack), in hex.
 */
export async function verifyBlobs(
  keys: Uint8Array,
  sealed: Uint8Array,
  blobs: readonly BlobSpan[],
  hashWhole = false,
): Promise<{ problems: string[]; sha256?: string }> {
  const { layout, ids } = spans(blobs, () => 0);
  const results = await (addon() as OpenNative).verifyBlobs(keys, sealed, layout, ids, hashWhole);
  const problems = messages(blobs, results);
  return results.sha256 === undefined ? { problems } : { problems, sha256: results.sha256.toString('hex') };
}

/**
 * Authenticates `blobs` on the libuv pool: each one's XChaCha20-Poly1305 tag under its id, checked with Poly1305 alone
 * (no plaintext, no decompression, no id re-hash), for copying sealed blobs as they are. Per blob, '' or its
 * CorruptData message.
 */
export async function authBlobs(keys: Uint8Array, sealed: Uint8Array, blobs: readonly Omit<BlobSpan, 'rawLength'>[]): Promise<string[]> {
  const spanned = blobs.map((b) => ({ ...b, rawLength: 0 }));
  const { layout, ids } = spans(spanned, () => 0);
  return messages(spanned, await (addon() as OpenNative).authBlobs(keys, sealed, layout, ids, false));
}

function problemOf(code: number): string {
  return PROBLEMS[code] ?? `error ${code}`;
}

/** The addon's layout (at, length, rawLength, outAt per blob) and the ids' bytes. */
function spans(blobs: readonly BlobSpan[], outAt: (b: BlobSpan, i: number) => number): { layout: Float64Array; ids: Uint8Array } {
  const layout = new Float64Array(4 * blobs.length);
  const ids = new Uint8Array(32 * blobs.length);
  blobs.forEach((b, i) => {
    layout.set([b.at, b.length, b.rawLength, outAt(b, i)], 4 * i);
    ids.set(blobIdBytes(b.id), 32 * i);
  });
  return { layout, ids };
}

/** Plaintexts one after another: the layout, and a new buffer for them. */
function prepare(blobs: readonly BlobSpan[]): { layout: Float64Array; ids: Uint8Array; out: Uint8Array } {
  let total = 0;
  const { layout, ids } = spans(blobs, (b) => (total += b.rawLength) - b.rawLength);
  const out = Buffer.allocUnsafeSlow(total);
  return { layout, ids, out };
}

function failure(b: { readonly id: BlobId }, code: number): RozenError {
  return corrupt(`blob ${b.id} (${problemOf(code)})`);
}

/** The CorruptData message for the addon's result `code` (not 0) of opening blob `id`. */
export function blobProblem(id: BlobId, code: number): string {
  return failure({ id }, code).message;
}

/** The CorruptData error for the addon's result `code` (not 0) of opening blob `id`. */
export function blobError(id: BlobId, code: number): RozenError {
  return failure({ id }, code);
}

function check(blobs: readonly BlobSpan[], results: Int32Array): void {
  const bad = results.findIndex((r) => r !== 0);
  if (bad >= 0) throw failure(blobs[bad] as BlobSpan, results[bad] as number);
}

function messages(blobs: readonly BlobSpan[], results: Int32Array): string[] {
  return blobs.map((b, i) => (results[i] === 0 ? '' : blobProblem(b.id, results[i] as number)));
}
