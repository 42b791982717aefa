/** Reads packs: one blob by ranged GET, the header from the tail, or the whole pack verified against its id. */
import { createHash } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import { corrupt, notFound } from '../core/errors.js';
import type { PackId } from '../core/ids.js';
import type { BlobLocation, PackDescription } from '../core/types.js';
import { packName } from './pack-path.js';
import { describePack, LENGTH_BYTES, openPackHeader, sealedHeaderLength } from './pack-tail.js';
import type { Sealer } from './sealer-interface.js';

/** Bytes fetched from the end of a pack in the first GET; a larger header costs a second one. */
export const TAIL_GUESS = 64 * 1024;

/** The sealed bytes of one blob (the caller opens them with the blob id as aad). */
export async function readBlob(backend: Backend, loc: BlobLocation): Promise<Uint8Array> {
  const bytes = await backend.get(packName(loc.pack), { offset: loc.offset, length: loc.length });
  if (bytes.length !== loc.length) throw corrupt(`pack ${loc.pack} (short read at ${loc.offset})`);
  return bytes;
}

/** Reads, opens and decodes a pack's header from its tail; `size` saves a stat when known. */
export async function readPackHeader(backend: Backend, sealer: Sealer, id: PackId, size?: number): Promise<PackDescription> {
  const name = packName(id);
  const total = size ?? (await backend.stat(name))?.size;
  if (total === undefined) throw notFound(`pack ${id}`);
  if (total < LENGTH_BYTES) throw corrupt(`pack ${id} (too short)`);
  const guess = Math.min(total, TAIL_GUESS);
  let end = await backend.get(name, { offset: total - guess, length: guess });
  const len = sealedHeaderLength(end, total);
  const need = len + LENGTH_BYTES;
  if (need > end.length) {
    const head = await backend.get(name, { offset: total - need, length: need - end.length });
    end = Buffer.concat([head, end]);
  }
  const header = openPackHeader(sealer, end.subarray(end.length - need, end.length - LENGTH_BYTES));
  return describePack(id, total, need, header);
}

/** Throws CorruptData unless SHA-256(bytes) is the pack id. */
export function verifyPack(bytes: Uint8Array, id: PackId): void {
  if (createHash('sha256').update(bytes).digest('hex') !== id) throw corrupt(`pack ${id} (hash mismatch)`);
}

/** Describes an in-memory pack from its own bytes (no hash check). */
export function describePackBytes(sealer: Sealer, id: PackId, bytes: Uint8Array): PackDescription {
  const need = sealedHeaderLength(bytes, bytes.length) + LENGTH_BYTES;
  const header = openPackHeader(sealer, bytes.subarray(bytes.length - need, bytes.length - LENGTH_BYTES));
  return describePack(id, bytes.length, need, header);
}

/** The whole pack, verified against its id, with its description (check --read-data, restore). */
export async function readPack(backend: Backend, sealer: Sealer, id: PackId): Promise<{ description: PackDescription; bytes: Uint8Array }> {
  const bytes = await backend.get(packName(id));
  verifyPack(bytes, id);
  return { description: describePackBytes(sealer, id, bytes), bytes };
}
