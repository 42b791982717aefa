/** The end of a pack file: sealedHeader ‖ u32 len (FORMAT §6), and the description it yields. */
import { corrupt, isRozenError } from '../core/errors.js';
import type { PackId } from '../core/ids.js';
import type { PackDescription } from '../core/types.js';
import { decodePackHeader, encodePackHeader, type PackHeader } from './pack-header.js';
import type { Sealer } from './sealer.js';

export const PACK_HEADER_AAD = new TextEncoder().encode('rozen:pack-header');
/** Bytes of the trailing header length. */
export const LENGTH_BYTES = 4;
/** Frame byte of the header's plaintext: compression id 0, the header is never compressed. */
const FRAME_NONE = 0;

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

/** The sealed header's length, read from the last 4 bytes of `end` (which ends where the pack ends). */
export function sealedHeaderLength(end: Uint8Array, packSize: number): number {
  if (end.length < LENGTH_BYTES) throw corrupt('pack (shorter than its length field)');
  const len = new DataView(end.buffer, end.byteOffset).getUint32(end.length - LENGTH_BYTES, true);
  if (len + LENGTH_BYTES > packSize) throw corrupt('pack (header length exceeds pack size)');
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
