/** The plaintext pack header of FORMAT §6: version, pack kind and one entry per blob. */
import { corrupt, invalidArgument } from '../core/errors.js';
import { fromHex, ID_BYTES, isHexId, toHex, type BlobId } from '../core/ids.js';
import { BlobType, PackKind } from '../core/types.js';

export const PACK_HEADER_VERSION = 1;
/** Bytes of the header before its entries, and of one entry (FORMAT §6). */
export const HEADER_FIXED = 6;
export const HEADER_ENTRY = 1 + 4 + 4 + ID_BYTES;
/** Most blobs one pack may hold (FORMAT §6): writers start a new pack first, readers refuse more. */
export const MAX_PACK_BLOBS = 2 ** 18;
const U32_MAX = 0xffffffff;

export interface PackHeaderEntry {
  readonly id: BlobId;
  readonly type: BlobType;
  /** Stored (sealed) length. */
  readonly length: number;
  /** Plaintext length. */
  readonly rawLength: number;
}

export interface PackHeader {
  readonly kind: PackKind;
  readonly blobs: readonly PackHeaderEntry[];
}

const KINDS: ReadonlySet<number> = new Set(Object.values(PackKind));

/** The blob type every blob of a pack of this kind must have: tree packs hold trees, the others data. */
export function blobTypeOf(kind: PackKind): BlobType {
  return kind === PackKind.tree ? BlobType.tree : BlobType.data;
}

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= U32_MAX;

/** Throws InvalidArgument when an entry cannot be written into a pack of `kind`. */
export function checkEntry(kind: PackKind, e: PackHeaderEntry): void {
  if (e.type !== blobTypeOf(kind)) throw invalidArgument(`blob type ${e.type} does not belong in pack kind ${kind}`);
  if (!isU32(e.length) || e.length === 0 || !isU32(e.rawLength)) {
    throw invalidArgument(`blob ${e.id}: lengths out of range`);
  }
  if (!isHexId(e.id)) throw invalidArgument(`bad blob id ${e.id}`);
}

export function encodePackHeader(h: PackHeader): Uint8Array {
  if (!KINDS.has(h.kind)) throw invalidArgument(`unknown pack kind ${h.kind}`);
  if (h.blobs.length > MAX_PACK_BLOBS) throw invalidArgument(`${h.blobs.length} blobs in one pack (at most ${MAX_PACK_BLOBS})`);
  const out = Buffer.alloc(HEADER_FIXED + HEADER_ENTRY * h.blobs.length);
  out.writeUInt8(PACK_HEADER_VERSION, 0);
  out.writeUInt8(h.kind, 1);
  out.writeUInt32LE(h.blobs.length, 2);
  let at = HEADER_FIXED;
  for (const e of h.blobs) {
    checkEntry(h.kind, e);
    out.writeUInt8(e.type, at);
    out.writeUInt32LE(e.length, at + 1);
    out.writeUInt32LE(e.rawLength, at + 5);
    out.set(fromHex(e.id), at + 9);
    at += HEADER_ENTRY;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Decodes and validates a header; anything malformed is CorruptData. */
export function decodePackHeader(bytes: Uint8Array): PackHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_FIXED) throw corrupt('pack header (too short)');
  if (buf.readUInt8(0) !== PACK_HEADER_VERSION) throw corrupt(`pack header (version ${buf.readUInt8(0)})`);
  const kind = buf.readUInt8(1) as PackKind;
  if (!KINDS.has(kind)) throw corrupt(`pack header (kind ${kind})`);
  const n = buf.readUInt32LE(2);
  if (n > MAX_PACK_BLOBS) throw corrupt(`pack header (${n} blobs, at most ${MAX_PACK_BLOBS})`);
  if (buf.length !== HEADER_FIXED + HEADER_ENTRY * n) throw corrupt('pack header (length does not match blob count)');
  const blobs: PackHeaderEntry[] = [];
  for (let at = HEADER_FIXED; at < buf.length; at += HEADER_ENTRY) blobs.push(decodeEntry(buf, at, kind));
  return { kind, blobs };
}

function decodeEntry(buf: Buffer, at: number, kind: PackKind): PackHeaderEntry {
  const type = buf.readUInt8(at) as BlobType;
  if (type !== blobTypeOf(kind)) throw corrupt(`pack header (blob type ${type} in pack kind ${kind})`);
  const length = buf.readUInt32LE(at + 1);
  if (length === 0) throw corrupt('pack header (empty blob)');
  const id = toHex(buf.subarray(at + 9, at + 9 + ID_BYTES)) as BlobId;
  return { id, type, length, rawLength: buf.readUInt32LE(at + 5) };
}
