/** Byte codec of an index file's body (docs/FORMAT.md §7), with strict validation. */
import { corrupt, invalidArgument } from '../core/errors.js';
import { fromHex, isHexId, toHex, ID_BYTES, type BlobId, type PackId } from '../core/ids.js';
import { BlobType, PackKind, type IndexedBlob, type PackDescription } from '../core/types.js';

export const INDEX_VERSION = 1;
const PACK_HEAD = ID_BYTES + 1 + 6 + 4;
export const BLOB_ENTRY = ID_BYTES + 1 + 6 + 4 + 4;
const U32_MAX = 0xffff_ffff;
const U48_MAX = 2 ** 48 - 1;
const PACK_KINDS: ReadonlySet<number> = new Set(Object.values(PackKind));
const BLOB_TYPES: ReadonlySet<number> = new Set(Object.values(BlobType));

/**
 * A pack whose blob entries are already encoded as an index body holds them (`records`: BLOB_ENTRY bytes
 * each, FORMAT §7), as read from an index file: written again without an object per blob.
 */
export interface EncodedPack {
  readonly id: PackId;
  readonly kind: PackKind;
  readonly size: number;
  readonly records: Uint8Array;
}

/** What an index file lists of a pack: its description, or its header with its blob records as they are encoded. */
export type IndexPack = PackDescription | EncodedPack;

export const blobCountOf = (p: IndexPack): number => ('blobs' in p ? p.blobs.length : p.records.length / BLOB_ENTRY);

/** Serialises packs as one index body; throws InvalidArgument on values the format cannot hold. */
export function encodeIndexBody(packs: readonly IndexPack[]): Uint8Array {
  checkCount(packs.length, 'pack count');
  let size = 1 + 4;
  for (const p of packs) size += PACK_HEAD + BLOB_ENTRY * blobCountOf(p);
  const out = Buffer.alloc(size);
  out.writeUInt8(INDEX_VERSION, 0);
  out.writeUInt32LE(packs.length, 1);
  let at = 5;
  const seen = new Set<string>();
  for (const p of packs) {
    if (seen.has(p.id)) throw invalidArgument(`pack ${p.id} listed twice in one index file`);
    seen.add(p.id);
    at = encodePack(out, at, p);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function encodePack(out: Buffer, at: number, p: IndexPack): number {
  at = putId(out, at, p.id, 'pack id');
  at = putEnum(out, at, p.kind, PACK_KINDS, 'pack kind');
  at = putU48(out, at, p.size, 'pack size');
  const count = blobCountOf(p);
  checkCount(count, 'blob count');
  out.writeUInt32LE(count, at);
  at += 4;
  return 'blobs' in p ? putBlobs(out, at, p.blobs) : putRecords(out, at, p);
}

function putBlobs(out: Buffer, at: number, blobs: PackDescription['blobs']): number {
  for (const b of blobs) {
    at = putId(out, at, b.id, 'blob id');
    at = putEnum(out, at, b.type, BLOB_TYPES, 'blob type');
    at = putU48(out, at, b.offset, 'blob offset');
    at = putU32(out, at, b.length, 'blob length');
    at = putU32(out, at, b.rawLength, 'blob raw length');
  }
  return at;
}

/** `p` with its blobs as encoded records (BLOB_ENTRY bytes each), not an object and a hex id apiece. */
export function encodedPack(p: PackDescription): EncodedPack {
  const records = Buffer.alloc(p.blobs.length * BLOB_ENTRY);
  putBlobs(records, 0, p.blobs);
  return { id: p.id, kind: p.kind, size: p.size, records };
}

/** Encoded records, checked as a reader checks them (`scanPack`). */
function putRecords(out: Buffer, at: number, p: EncodedPack): number {
  if (!Number.isInteger(p.records.length / BLOB_ENTRY)) throw invalidArgument(`pack ${p.id}: blob records of ${p.records.length} bytes`);
  out.set(p.records, at);
  for (let r = at; r < at + p.records.length; r += BLOB_ENTRY) {
    const type = out[r + ID_BYTES] ?? -1;
    if (!BLOB_TYPES.has(type)) throw invalidArgument(`unknown blob type ${type}`);
    if (out.readUIntLE(r + ID_BYTES + 1, 6) + out.readUInt32LE(r + ID_BYTES + 7) > p.size)
      throw invalidArgument(`a blob lies outside pack ${p.id}`);
  }
  return at + p.records.length;
}

function putId(out: Buffer, at: number, id: string, what: string): number {
  if (!isHexId(id)) throw invalidArgument(`${what} is not 64 lowercase hex characters: ${id}`);
  out.set(fromHex(id), at);
  return at + ID_BYTES;
}

function putEnum(out: Buffer, at: number, v: number, allowed: ReadonlySet<number>, what: string): number {
  if (!allowed.has(v)) throw invalidArgument(`unknown ${what} ${v}`);
  return out.writeUInt8(v, at);
}

function putU48(out: Buffer, at: number, v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > U48_MAX) throw invalidArgument(`${what} out of range: ${v}`);
  return out.writeUIntLE(v, at, 6);
}

function putU32(out: Buffer, at: number, v: number, what: string): number {
  checkCount(v, what);
  return out.writeUInt32LE(v, at);
}

function checkCount(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw invalidArgument(`${what} out of range: ${v}`);
}

/**
 * What a scan reports: pack headers (their blob entries are the `blobCount` 47-byte records
 * from `body[blobsAt]`), and blobs with their id as `body[idAt, idAt + 32)`.
 */
export interface IndexBodyVisitor {
  pack(id: PackId, kind: PackKind, size: number, blobCount: number, blobsAt: number): void;
  blob(body: Uint8Array, idAt: number, loc: Omit<IndexedBlob, 'id' | 'pack'>): void;
}

/**
 * Walks an index body, validating it strictly (any deviation from §7: version, enums,
 * bounds, duplicate packs, length is CorruptData). Blob ids are handed over as positions in
 * `body`, so a caller can copy them without creating a string per blob.
 */
export function scanIndexBody(body: Uint8Array, visit: IndexBodyVisitor): void {
  const r = new BodyReader(body);
  const version = r.u8();
  if (version !== INDEX_VERSION) throw corrupt(`index file (unsupported version ${version})`);
  const count = r.u32();
  r.need(count * PACK_HEAD);
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const id = r.id() as PackId;
    if (seen.has(id)) throw corrupt(`index file (pack ${id} listed twice)`);
    seen.add(id);
    scanPack(r, id, body, visit);
  }
  if (r.remaining() !== 0) throw corrupt('index file (trailing bytes)');
}

function scanPack(r: BodyReader, id: PackId, body: Uint8Array, visit: IndexBodyVisitor): void {
  const kind = r.enumOf(PACK_KINDS, 'pack kind') as PackKind;
  const size = r.u48();
  const n = r.u32();
  r.need(n * BLOB_ENTRY);
  visit.pack(id, kind, size, n, r.position);
  for (let i = 0; i < n; i++) {
    const idAt = r.skip(ID_BYTES);
    const type = r.enumOf(BLOB_TYPES, 'blob type') as BlobType;
    const offset = r.u48();
    const length = r.u32();
    const rawLength = r.u32();
    if (offset + length > size) throw corrupt(`index file (a blob lies outside pack ${id})`);
    visit.blob(body, idAt, { type, offset, length, rawLength });
  }
}

/** Parses an index body into pack descriptions; validation as in `scanIndexBody`. */
export function decodeIndexBody(body: Uint8Array): PackDescription[] {
  const packs: PackDescription[] = [];
  let blobs: IndexedBlobOfPack[] = [];
  scanIndexBody(body, {
    pack(id, kind, size) {
      blobs = [];
      packs.push({ id, kind, size, blobs });
    },
    blob(bytes, idAt, loc) {
      blobs.push({ id: toHex(bytes.subarray(idAt, idAt + ID_BYTES)) as BlobId, ...loc });
    },
  });
  return packs;
}

type IndexedBlobOfPack = PackDescription['blobs'][number];

/** The blob record (BLOB_ENTRY bytes) at `bytes[at]` of a body `scanIndexBody` has validated. */
export function decodeBlobRecord(bytes: Buffer, at: number): IndexedBlobOfPack {
  return {
    id: bytes.toString('hex', at, at + ID_BYTES) as BlobId,
    type: bytes[at + ID_BYTES] as BlobType,
    offset: bytes.readUIntLE(at + ID_BYTES + 1, 6),
    length: bytes.readUInt32LE(at + ID_BYTES + 7),
    rawLength: bytes.readUInt32LE(at + ID_BYTES + 11),
  };
}

/** Bounds-checked little-endian reader whose every overrun is CorruptData. */
class BodyReader {
  private at = 0;
  private readonly buf: Buffer;
  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get position(): number {
    return this.at;
  }
  remaining(): number {
    return this.buf.length - this.at;
  }
  need(n: number): void {
    if (n > this.remaining()) throw corrupt('index file (truncated)');
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.at++);
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  u48(): number {
    this.need(6);
    const v = this.buf.readUIntLE(this.at, 6);
    this.at += 6;
    return v;
  }
  skip(n: number): number {
    this.need(n);
    this.at += n;
    return this.at - n;
  }
  id(): string {
    this.need(ID_BYTES);
    const s = toHex(this.buf.subarray(this.at, this.at + ID_BYTES));
    this.at += ID_BYTES;
    return s;
  }
  enumOf(allowed: ReadonlySet<number>, what: string): number {
    const v = this.u8();
    if (!allowed.has(v)) throw corrupt(`index file (unknown ${what} ${v})`);
    return v;
  }
}
