/** Encoding and decoding of FUSE kernel messages (little-endian structs of <linux/fuse.h>). */
import { direntType, Notify, Size } from './abi.js';

/** What the kernel is told about one inode (struct fuse_attr); times in ns since the epoch, before 1970 too. */
export interface Attr {
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  /** 512-byte blocks allocated. */
  readonly blocks: number;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** A name bound to an inode, and how long the kernel may cache the name and the attributes. */
export interface EntryReply {
  readonly attr: Attr;
  readonly entrySeconds: number;
  readonly attrSeconds: number;
}

export interface RequestHeader {
  readonly len: number;
  readonly opcode: number;
  /** The request's 8-byte id, copied into its reply. */
  readonly unique: Buffer;
  readonly nodeid: number;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

const BLOCK_SIZE = 4096;
const NS = 1_000_000_000n;

export function readHeader(buf: Buffer): RequestHeader {
  if (buf.length < Size.inHeader) throw new RangeError(`FUSE request of ${buf.length} bytes`);
  return {
    len: buf.readUInt32LE(0),
    opcode: buf.readUInt32LE(4),
    unique: buf.subarray(8, 16),
    nodeid: readU64(buf, 16),
    uid: buf.readUInt32LE(24),
    gid: buf.readUInt32LE(28),
    pid: buf.readUInt32LE(32),
  };
}

/** A u64 that fits a double exactly (node ids, offsets, sizes). */
export function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 2 ** 32;
}

/** The NUL-terminated string at `at` (names in LOOKUP, GETXATTR), as raw bytes. */
export function readName(buf: Buffer, at: number): Buffer {
  const end = buf.indexOf(0, at);
  return buf.subarray(at, end < 0 ? buf.length : end);
}

/** A reply: the out header followed by `payload` bytes, to be filled by the caller. */
export function replyBuffer(unique: Buffer, error: number, payload: number): Buffer {
  const buf = Buffer.allocUnsafe(Size.outHeader + payload);
  writeOutHeader(buf, Size.outHeader + payload, error, unique);
  return buf;
}

export function writeOutHeader(buf: Buffer, len: number, error: number, unique: Buffer): void {
  buf.writeUInt32LE(len, 0);
  buf.writeInt32LE(error, 4);
  unique.copy(buf, 8, 0, 8);
}

function writeU64(buf: Buffer, at: number, value: number): void {
  buf.writeUInt32LE((value % 2 ** 32) >>> 0, at);
  buf.writeUInt32LE(Math.floor(value / 2 ** 32) >>> 0, at + 4);
}

/** Seconds (two's complement, so before 1970 works) and the nanoseconds within them, floored. */
function writeTime(buf: Buffer, secAt: number, nsecAt: number, ns: bigint): void {
  let sec = ns / NS;
  let rem = ns - sec * NS;
  if (rem < 0n) {
    sec -= 1n;
    rem += NS;
  }
  buf.writeBigInt64LE(sec, secAt);
  buf.writeUInt32LE(Number(rem), nsecAt);
}

/** struct fuse_attr at `at`. */
export function writeAttr(buf: Buffer, at: number, a: Attr): void {
  writeU64(buf, at, a.ino);
  writeU64(buf, at + 8, a.size);
  writeU64(buf, at + 16, a.blocks);
  writeTime(buf, at + 24, at + 48, a.atimeNs);
  writeTime(buf, at + 32, at + 52, a.mtimeNs);
  writeTime(buf, at + 40, at + 56, a.ctimeNs);
  buf.writeUInt32LE(a.mode >>> 0, at + 60);
  buf.writeUInt32LE(a.nlink >>> 0, at + 64);
  buf.writeUInt32LE(a.uid >>> 0, at + 68);
  buf.writeUInt32LE(a.gid >>> 0, at + 72);
  buf.writeUInt32LE(a.rdev >>> 0, at + 76);
  buf.writeUInt32LE(BLOCK_SIZE, at + 80);
  buf.writeUInt32LE(0, at + 84);
}

/** struct fuse_entry_out at `at`; a nodeid of 0 with no attributes stands for "no entry". */
export function writeEntry(buf: Buffer, at: number, e: EntryReply | undefined): void {
  if (e === undefined) {
    buf.fill(0, at, at + Size.entryOut);
    return;
  }
  writeU64(buf, at, e.attr.ino);
  writeU64(buf, at + 8, 0);
  writeU64(buf, at + 16, e.entrySeconds);
  writeU64(buf, at + 24, e.attrSeconds);
  buf.writeUInt32LE(0, at + 32);
  buf.writeUInt32LE(0, at + 36);
  writeAttr(buf, at + 40, e.attr);
}

/** struct fuse_attr_out at `at`. */
export function writeAttrOut(buf: Buffer, at: number, attr: Attr, seconds: number): void {
  writeU64(buf, at, seconds);
  buf.writeUInt32LE(0, at + 8);
  buf.writeUInt32LE(0, at + 12);
  writeAttr(buf, at + 16, attr);
}

const NO_UNIQUE = Buffer.alloc(8);

/** The head of a NOTIFY_STORE message: `size` bytes for the page cache of `ino` at `offset` follow it. */
export function notifyStoreHead(ino: number, offset: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(Size.outHeader + Size.notifyStoreOut);
  writeOutHeader(buf, buf.length + size, Notify.STORE, NO_UNIQUE);
  writeU64(buf, Size.outHeader, ino);
  writeU64(buf, Size.outHeader + 8, offset);
  buf.writeUInt32LE(size, Size.outHeader + 16);
  buf.writeUInt32LE(0, Size.outHeader + 20);
  return buf;
}

/** struct fuse_open_out at `at`. */
export function writeOpenOut(buf: Buffer, at: number, fh: number, flags: number): void {
  writeU64(buf, at, fh);
  buf.writeUInt32LE(flags >>> 0, at + 8);
  buf.writeUInt32LE(0, at + 12);
}

/**
 * Packs directory entries into a READDIR or READDIRPLUS reply of at most `size` bytes. Each entry
 * carries the offset of the next one, which the kernel passes back to continue the listing.
 */
export class DirentWriter {
  readonly buf: Buffer;
  used = 0;
  /** Run once the reply is written: the kernel holds a reference to each child of a READDIRPLUS reply from then on. */
  onSent: (() => void) | undefined;

  constructor(
    size: number,
    readonly plus: boolean,
  ) {
    this.buf = Buffer.alloc(size);
  }

  /** Appends one entry; false (and nothing written) when it does not fit. */
  add(name: Uint8Array, ino: number, mode: number, nextOffset: number, entry?: EntryReply): boolean {
    const head = this.plus ? Size.direntplus : Size.dirent;
    const size = (head + name.length + 7) & ~7;
    if (this.used + size > this.buf.length) return false;
    let at = this.used;
    if (this.plus) {
      writeEntry(this.buf, at, entry);
      at += Size.entryOut;
    }
    writeU64(this.buf, at, ino);
    writeU64(this.buf, at + 8, nextOffset);
    this.buf.writeUInt32LE(name.length, at + 16);
    this.buf.writeUInt32LE(direntType(mode), at + 20);
    this.buf.set(name, at + Size.dirent);
    this.used += size;
    return true;
  }
}
