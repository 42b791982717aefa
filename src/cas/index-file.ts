/** Writing and reading sealed index files `index/<id>` (docs/FORMAT.md §7). */
import { createHash } from 'node:crypto';
import type * as Zstd from 'zstd-napi';
import type { Backend } from '../backend/backend.js';
import { getBounded } from '../backend/get-bounded.js';
import { RozenError, corrupt, invalidArgument, isRozenError } from '../core/errors.js';
import { isHexId } from '../core/ids.js';
import { lazyModule } from '../core/lazy-module.js';
import type { PackDescription } from '../core/types.js';
import { blobCountOf, decodeIndexBody, encodeIndexBody, type IndexPack } from './index-body.js';
import type { Sealer } from './sealer-interface.js';
import { MiB } from '../core/sizes.js';

export const INDEX_PREFIX = 'index/';
export const INDEX_AAD: Uint8Array = new TextEncoder().encode('rozen:index');
const zstd = lazyModule<typeof Zstd>('zstd-napi');

const COMPRESSION_NONE = 0;
const COMPRESSION_ZSTD = 1;
/**
 * Largest index file (FORMAT §7). Writers stay below it: a file names at most INDEX_FILE_BLOBS blobs, or
 * one pack's (at most MAX_PACK_BLOBS), 90 bytes each at worst (a pack record per blob).
 */
export const MAX_INDEX_FILE_BYTES = 32 * MiB;
/** Blob entries per index file unless one pack has more (about 5 MB of body). */
export const INDEX_FILE_BLOBS = 100_000;

export const indexFileName = (id: string): string => `${INDEX_PREFIX}${id}`;

/**
 * Seals `packs` as one index file and stores it; returns its id (hex SHA-256 of the file).
 * Stored uncompressed (frame id 0): the body is mostly random ids, which do not compress.
 * Call only after every pack named is durable.
 */
export async function writeIndexFile(backend: Backend, sealer: Sealer, packs: readonly IndexPack[]): Promise<string> {
  const body = encodeIndexBody(packs);
  const framed = new Uint8Array(body.length + 1);
  framed[0] = COMPRESSION_NONE;
  framed.set(body, 1);
  const sealed = sealer.seal(framed, INDEX_AAD);
  if (sealed.length > MAX_INDEX_FILE_BYTES) throw invalidArgument(`index file of ${sealed.length} bytes (at most ${MAX_INDEX_FILE_BYTES})`);
  const id = sha256Hex(sealed);
  await backend.put(indexFileName(id), sealed);
  return id;
}

/** Packs in groups of at most `perFile` blobs (a larger pack alone), in order: one index file each. */
export function indexBatches<P extends IndexPack>(packs: readonly P[], perFile = INDEX_FILE_BLOBS): P[][] {
  return [...batchPacks(packs, perFile)];
}

/** `indexBatches` of packs taken as they come: only the batch being filled is held. */
export function* batchPacks<P extends IndexPack>(packs: Iterable<P>, perFile = INDEX_FILE_BLOBS): Generator<P[]> {
  let batch: P[] = [];
  let blobs = 0;
  for (const pack of packs) {
    const count = blobCountOf(pack);
    if (batch.length > 0 && blobs + count > perFile) {
      yield batch;
      batch = [];
      blobs = 0;
    }
    batch.push(pack);
    blobs += count;
  }
  if (batch.length > 0) yield batch;
}

/** Reads, authenticates and parses one index file; CorruptData when any byte is wrong. */
export async function readIndexFile(backend: Backend, sealer: Sealer, id: string): Promise<PackDescription[]> {
  return decodeIndexBody(await readIndexBody(backend, sealer, id));
}

/**
 * Reads and authenticates one index file and returns its body, not yet parsed (see
 * `scanIndexBody`, which validates it); CorruptData when the id or the seal does not match.
 */
export async function readIndexBody(backend: Backend, sealer: Sealer, id: string): Promise<Uint8Array> {
  if (!isHexId(id)) throw invalidArgument(`not an index file id: ${id}`);
  const sealed = await getBounded(backend, indexFileName(id), MAX_INDEX_FILE_BYTES);
  if (sha256Hex(sealed) !== id) throw corrupt(`index file ${id} (content does not match its id)`);
  return unframe(openSealed(sealer, sealed, id), id);
}

function openSealed(sealer: Sealer, sealed: Uint8Array, id: string): Uint8Array {
  try {
    return sealer.open(sealed, INDEX_AAD);
  } catch (err) {
    throw isRozenError(err, 'CorruptData') ? new RozenError('CorruptData', `index file ${id}: ${err.message}`, { cause: err }) : err;
  }
}

function unframe(framed: Uint8Array, id: string): Uint8Array {
  const payload = framed.subarray(1);
  switch (framed[0]) {
    case COMPRESSION_NONE:
      return payload;
    case COMPRESSION_ZSTD:
      return zstdDecompress(payload, id);
    default:
      throw corrupt(`index file ${id} (unknown compression id ${String(framed[0])})`);
  }
}

function zstdDecompress(payload: Uint8Array, id: string): Uint8Array {
  try {
    return zstd().decompress(payload);
  } catch (err) {
    throw corrupt(`index file ${id} (bad zstd frame)`, err);
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
