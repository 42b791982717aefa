/** Key and value layout of the LevelDB index cache: compact binary records, pack ids interned as numbers. */
import { corrupt, invalidArgument } from '../core/errors.js';
import { fromHex, toHex, ID_BYTES, type BlobId, type PackId } from '../core/ids.js';
import type { BlobType, PackKind } from '../core/types.js';

/** Bump when the layout below changes: an older cache is then discarded and rebuilt. */
export const CACHE_VERSION = 1;

const BLOB = 0x62; // 'b' ‖ 32-byte blob id → location
const PACK = 0x70; // 'p' ‖ u32 BE pack number → pack record
export const BLOB_RANGE = { gt: Uint8Array.of(BLOB), lt: Uint8Array.of(BLOB + 1) };
export const PACK_RANGE = { gt: Uint8Array.of(PACK), lt: Uint8Array.of(PACK + 1) };
export const ABSORBED_RANGE = { gt: ascii('i:'), lt: ascii('i;') };
export const VERSION_KEY = ascii('m:version');

/** Values of an `i:<index id>` marker. */
export const ABSORBING = 0;
export const ABSORBED = 1;

/** One interned pack: its number is its position in the cache's pack table. */
export interface CachedPack {
  readonly id: PackId;
  readonly kind: PackKind;
  readonly size: number;
}

/** A blob's location with the pack as its interned number. */
export interface RawLocation {
  readonly packNo: number;
  readonly type: BlobType;
  readonly offset: number;
  readonly length: number;
  readonly rawLength: number;
}

const PACK_BYTES = ID_BYTES + 1 + 6;

export function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

export function blobKey(id: BlobId): Uint8Array {
  const key = new Uint8Array(1 + ID_BYTES);
  key[0] = BLOB;
  key.set(fromHex(id), 1);
  return key;
}

export const BLOB_KEY_BYTES = 1 + ID_BYTES;
export const LOCATION_BYTES = 4 + 1 + 6 + 4 + 4;

/** Writes a blob key into `buf` at `at` without allocating (for bulk absorption). */
export function writeBlobKey(buf: Buffer, at: number, id: BlobId): void {
  buf[at] = BLOB;
  if (buf.write(id, at + 1, ID_BYTES, 'hex') !== ID_BYTES) throw invalidArgument(`not a blob id: ${id}`);
}

/** Writes a location into `buf` at `at` without allocating (for bulk absorption). */
export function writeLocation(buf: Buffer, at: number, packNo: number, b: Omit<RawLocation, 'packNo'>): void {
  buf.writeUInt32LE(packNo, at);
  buf.writeUInt8(b.type, at + 4);
  buf.writeUIntLE(b.offset, at + 5, 6);
  buf.writeUInt32LE(b.length, at + 11);
  buf.writeUInt32LE(b.rawLength, at + 15);
}

/**
 * Copies one index-file blob record (FORMAT §7: id ‖ type ‖ offset ‖ length ‖ rawLength)
 * into a key and a value: the value is the pack number followed by the record's last 15
 * bytes, which have exactly the layout of a location.
 */
export function writeRawBlob(keys: Buffer, k: number, values: Buffer, v: number, body: Buffer, at: number, packNo: number): void {
  keys[k] = BLOB;
  body.copy(keys, k + 1, at, at + ID_BYTES);
  values.writeUInt32LE(packNo, v);
  body.copy(values, v + 4, at + ID_BYTES, at + ID_BYTES + LOCATION_BYTES - 4);
}

export function blobIdOfKey(key: Uint8Array): BlobId {
  if (key.length !== 1 + ID_BYTES || key[0] !== BLOB) throw corrupt('index cache (blob key)');
  return toHex(key.subarray(1)) as BlobId;
}

export const absorbedKey = (indexId: string): Uint8Array => ascii(`i:${indexId}`);
export const indexIdOfKey = (key: Uint8Array): string => Buffer.from(key.subarray(2)).toString('latin1');

export function decodeLocation(value: Uint8Array): RawLocation {
  if (value.length !== LOCATION_BYTES) throw corrupt('index cache (blob location)');
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return {
    packNo: b.readUInt32LE(0),
    type: b.readUInt8(4) as BlobType,
    offset: b.readUIntLE(5, 6),
    length: b.readUInt32LE(11),
    rawLength: b.readUInt32LE(15),
  };
}

export function packKey(packNo: number): Uint8Array {
  const key = Buffer.allocUnsafe(5);
  key[0] = PACK;
  key.writeUInt32BE(packNo, 1);
  return key;
}

export function packNoOfKey(key: Uint8Array): number {
  if (key.length !== 5 || key[0] !== PACK) throw corrupt('index cache (pack key)');
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUInt32BE(1);
}

export function encodePack(p: CachedPack): Uint8Array {
  const b = Buffer.allocUnsafe(PACK_BYTES);
  b.set(fromHex(p.id), 0);
  b.writeUInt8(p.kind, ID_BYTES);
  b.writeUIntLE(p.size, ID_BYTES + 1, 6);
  return b;
}

export function decodePack(value: Uint8Array): CachedPack {
  if (value.length !== PACK_BYTES) throw corrupt('index cache (pack record)');
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return {
    id: toHex(b.subarray(0, ID_BYTES)) as PackId,
    kind: b.readUInt8(ID_BYTES) as PackKind,
    size: b.readUIntLE(ID_BYTES + 1, 6),
  };
}

export function encodeU32(v: number): Uint8Array {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v, 0);
  return b;
}

export function decodeU32(value: Uint8Array | undefined): number | undefined {
  if (value?.length !== 4) return undefined;
  return Buffer.from(value.buffer, value.byteOffset, 4).readUInt32LE(0);
}
