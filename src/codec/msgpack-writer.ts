/**
 * Writes MessagePack in the canonical form of docs/FORMAT.md §9.2 (shortest headers, uints
 * below 2^32 in their shortest form, larger ones and every int64 as 0xd3), for schema encoders
 * on hot paths: a backup encodes tree blobs by the ten thousand. One writer is reused; `take`
 * copies out what was written.
 */
import { invalidArgument } from '../core/errors.js';

/** Strings of at most this many bytes are remembered encoded, up to SHORT_STRS of them. */
const SHORT_STR = 64;
const SHORT_STRS = 32;

/** Hex digit → value, -1 for any other character code below 128. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) {
  HEX['0123456789abcdef'.charCodeAt(c)] = c;
  HEX['0123456789ABCDEF'.charCodeAt(c)] = c;
}

export class MsgWriter {
  #buf = Buffer.allocUnsafe(64 * 1024);
  #view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  #pos = 0;
  /** Short strings written lately, encoded. */
  readonly #strs = new Map<string, Uint8Array>();

  /** Bytes written since the last take. */
  get length(): number {
    return this.#pos;
  }

  /** The bytes written since the last take, as a new buffer; the writer starts over. */
  take(): Uint8Array {
    const out = Buffer.from(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
    return out;
  }

  /** Forgets what was written (after a failed encode). */
  reset(): void {
    this.#pos = 0;
  }

  mapHeader(n: number): void {
    this.#header(n, 0x80, 15, 0, 0xde, 0xdf);
  }

  arrayHeader(n: number): void {
    this.#header(n, 0x90, 15, 0, 0xdc, 0xdd);
  }

  /** A string of at most 31 ASCII characters, such as a map key of a fixed schema. */
  key(k: string): void {
    this.#room(k.length + 1);
    this.#buf[this.#pos++] = 0xa0 | k.length;
    for (let i = 0; i < k.length; i++) this.#buf[this.#pos++] = k.charCodeAt(i);
  }

  str(s: string): void {
    const known = this.#strs.get(s);
    if (known !== undefined) {
      this.#room(known.length);
      this.#buf.set(known, this.#pos);
      this.#pos += known.length;
      return;
    }
    const start = this.#pos;
    const len = Buffer.byteLength(s, 'utf8');
    this.#header(len, 0xa0, 31, 0xd9, 0xda, 0xdb);
    this.#room(len);
    this.#pos += this.#buf.write(s, this.#pos, len, 'utf8');
    // Trees name the same few owners and groups entry after entry: short strings are kept encoded.
    if (len <= SHORT_STR) {
      if (this.#strs.size >= SHORT_STRS) this.#strs.clear();
      this.#strs.set(s, Buffer.from(this.#buf.subarray(start, this.#pos)));
    }
  }

  bin(bytes: Uint8Array): void {
    this.#header(bytes.length, 0, -1, 0xc4, 0xc5, 0xc6);
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  /** Bytes already encoded (`bytes[from, to)`), written as they are. */
  raw(bytes: Buffer, from: number, to: number): void {
    this.#room(to - from);
    this.#pos += bytes.copy(this.#buf, this.#pos, from, to);
  }

  /** A bin of the bytes that `hex` (even length) spells; throws unless every character is a hex digit. */
  binHex(hex: string): void {
    const len = hex.length >> 1;
    this.#header(len, 0, -1, 0xc4, 0xc5, 0xc6);
    this.#room(len);
    const b = this.#buf;
    let at = this.#pos;
    for (let i = 0; i < hex.length; i += 2) {
      const hi = HEX[hex.charCodeAt(i)] ?? -1;
      const lo = HEX[hex.charCodeAt(i + 1)] ?? -1;
      if ((hi | lo) < 0) throw invalidArgument(`invalid hex ${hex}`);
      b[at++] = (hi << 4) | lo;
    }
    this.#pos = at;
  }

  /** A non-negative safe integer: below 2^32 in its shortest form, else int64. */
  uint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw invalidArgument(`not a non-negative integer: ${v}`);
    this.#room(9);
    const b = this.#buf;
    if (v < 0x80) b[this.#pos++] = v;
    else if (v < 0x100) {
      b[this.#pos++] = 0xcc;
      b[this.#pos++] = v;
    } else if (v < 0x10000) {
      b[this.#pos++] = 0xcd;
      this.#pos = b.writeUInt16BE(v, this.#pos);
    } else if (v <= 0xffffffff) {
      b[this.#pos++] = 0xce;
      this.#pos = b.writeUInt32BE(v, this.#pos);
    } else this.int64(BigInt(v));
  }

  /** Always int64 (0xd3). */
  int64(v: bigint): void {
    this.#room(9);
    if (v < -0x8000_0000_0000_0000n || v > 0x7fff_ffff_ffff_ffffn) throw invalidArgument(`not an int64: ${v}`);
    this.#buf[this.#pos++] = 0xd3;
    this.#view.setBigInt64(this.#pos, v);
    this.#pos += 8;
  }

  #header(n: number, fix: number, fixMax: number, c8: number, c16: number, c32: number): void {
    this.#room(5);
    const b = this.#buf;
    if (n <= fixMax) b[this.#pos++] = fix | n;
    else if (n < 0x100 && c8 !== 0) {
      b[this.#pos++] = c8;
      b[this.#pos++] = n;
    } else if (n < 0x10000) {
      b[this.#pos++] = c16;
      this.#pos = b.writeUInt16BE(n, this.#pos);
    } else {
      b[this.#pos++] = c32;
      this.#pos = b.writeUInt32BE(n, this.#pos);
    }
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(bigger, 0, 0, this.#pos);
    this.#buf = bigger;
    this.#view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }
}
