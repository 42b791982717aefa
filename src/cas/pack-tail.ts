/** The end of a pack file: sealedHeader ‖ u32 len (FORMAT §6), and the description it yields. */
import { corrupt, isRozenError } from '../core/errors.js';
import type { PackId } from '../core/ids.js';
import type { PackDescription } from '../core/types.js';
import { decodePackHeader, encodePackHeader, HEADER_ENTRY, HEADER_FIXED, MAX_PACK_BLOBS, type PackHeader } from './pack-header.js';
import type { Sealer } from './sealer-interface.js';

export const PACK_HEADER_AAD = new TextEncoder().encode('rozen:pack-header');
/** Bytes of the trailing header length. */
export const LENGTH_BYTES = 4;
/** Frame byte of the header's plaintext: compression id 0, the header is never compressed. */
const FRAME_NONE = 0;
/** Nonce and tag a seal adds (FORMAT §3). */
const SEAL_OVERHEAD = 40;
/** The sealed length of a header of no entries; each entry adds HEADER_ENTRY bytes. */
const SEALED_HEADER_BASE = SEAL_OVERHEAD + 1 + HEADER_FIXED;
/** The largest sealed header (MAX_PACK_BLOBS entries): a larger length field is refused before anything is read. */
export const MAX_SEALED_HEADER = SEALED_HEADER_BASE + HEADER_ENTRY * MAX_PACK_BLOBS;

/** sealedHeader ‖ u32 len(sealedHeader). */
export function encodePackTail(sealer: Sealer, header: PackHeader): Uint8Array {
  const plain = encodePackHeader(header);
  const framed = new Uint8Array(1 + plain.length);
  framed[0] = FRAME_NONE;
  framed.set(plain, 1);
  const sealed = sealer.seal(framed, PACK_HEADER_AAD);
  const tail = new Uint8Array(sealed.length + LENGTH_BYTES);
  tail.set(sealed, 0);
  new DataView(tail.buffer, tail.byteOffset).setUint32(sealed.length, sealed.length, true);
  return tail;
}

/**
 * The sealed header's length, read from the last 4 bytes of `end` (which ends where the pack ends), and
 * checked against what a header can be before any of it is read.
 */
export function sealedHeaderLength(end: Uint8Array, packSize: number): number {
  if (end.length < LENGTH_BYTES) throw corrupt(`pack (shorter than its length field)`);
  const len = new DataView(end.buffer, end.byteOffset).getUint32(end.length - LENGTH_BYTES, true);
  if (len + LENGTH_BYTES > packSize) throw corrupt(`pack (header length ${len} exceeds the pack's ${packSize} bytes)`);
  if (len > MAX_SEALED_HEADER) throw corrupt(`pack (header length ${len}, over the ${MAX_SEALED_HEADER} of ${MAX_PACK_BLOBS} blobs)`);
  if (len < SEALED_HEADER_BASE || (len - SEALED_HEADER_BASE) % HEADER_ENTRY !== 0) {
    throw corrupt(`pack (header length ${len} is no whole number of entries)`);
  }
  return len;
}

/** Opens and decodes a sealed header; a failed open is CorruptData. */
export function openPackHeader(sealer: Sealer, sealedHeader: Uint8Array): PackHeader {
  let framed: Uint8Array;
  try {
    framed = sealer.open(sealedHeader, PACK_HEADER_AAD);
  } catch (err) {
    throw isRozenError(err) ? err : corrupt('pack header', err);
  }
  if (framed[0] !== FRAME_NONE) throw corrupt(`pack header (frame id ${String(framed[0])})`);
  return decodePackHeader(framed.subarray(1));
}

/** Assigns offsets in blob order and checks that the blobs exactly fill the pack before its tail. */
export function describePack(id: PackId, size: number, tailLength: number, header: PackHeader): PackDescription {
  let offset = 0;
  const blobs = header.blobs.map((b) => {
    const blob = { id: b.id, type: b.type, offset, length: b.length, rawLength: b.rawLength };
    offset += b.length;
    return blob;
  });
  if (offset + tailLength !== size) throw corrupt(`pack ${id} (blob lengths do not add up to its size)`);
  return { id, kind: header.kind, size, blobs };
}
