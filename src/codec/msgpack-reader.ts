/**
 * A strict cursor over MessagePack bytes, for schema decoders on hot paths (tree blobs: a
 * prune, check or backup decodes them by the ten thousand). Reading straight into the caller's
 * objects avoids the generic decoder's Map per entry, its key strings and its garbage.
 * Every method throws `fail(what)` on a value of another type or on truncated input.
 */
/** strRepeated keeps this many strings of at most this many bytes. */
const RECENT_STRINGS = 4;
const RECENT_MAX_BYTES = 64;

/** Whether `buf` holds `bytes` at `at`. */
function sameBytes(buf: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
  return true;
}

export class MsgReader {
  #pos = 0;
  readonly #buf: Buffer;
  readonly #view: DataView;
  /** The strings strRepeated decoded last, newest first. */
  readonly #recent: { readonly bytes: Uint8Array; readonly value: string }[] = [];

  constructor(
    bytes: Uint8Array,
    private readonly fail: (what: string) => Error,
  ) {
    this.#buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.#pos === this.#buf.length;
  }

  /** Where the next value starts. */
  get offset(): number {
    return this.#pos;
  }

  /** Continues reading at `at`, an offset `offset` gave. */
  seek(at: number): void {
    this.#pos = at;
  }

  /** Entries of a map; more than the bytes left could hold (2 per entry) is a failure, before any is read. */
  mapHeader(what: string): number {
    return this.#fits(this.#containerLength(0x80, 0xde, what), 2, what);
  }

  /** Items of an array; more than the bytes left could hold (1 per item) is a failure, before any is read. */
  arrayHeader(what: string): number {
    return this.#fits(this.#containerLength(0x90, 0xdc, what), 1, what);
  }

  /**
   * A map key of one or two ASCII bytes as a number (`'n'` → 0x6e, `'mt'` → 0x6d74); -1 for
   * any other string. Keys of fixed schemas are that short; no string is built for them.
   */
  shortKey(what: string): number {
    const b = this.#byte(what);
    if (b === 0xa1) return this.#byte(what);
    if (b === 0xa2) return (this.#byte(what) << 8) | this.#byte(what);
    this.#pos--;
    this.#skip(this.#strLength(what), what);
    return -1;
  }

  str(what: string): string {
    const len = this.#strLength(what);
    const start = this.#skip(len, what);
    return this.#buf.toString('utf8', start, start + len);
  }

  /**
   * str() for values that repeat from one record to the next (owner names in tree entries): the
   * last few short ones are kept, and one whose bytes match is returned without decoding again.
   */
  strRepeated(what: string): string {
    const len = this.#strLength(what);
    const start = this.#skip(len, what);
    const buf = this.#buf;
    for (const seen of this.#recent) {
      if (seen.bytes.length === len && sameBytes(buf, start, seen.bytes)) return seen.value;
    }
    const value = buf.toString('utf8', start, start + len);
    if (len <= RECENT_MAX_BYTES) {
      this.#recent.unshift({ bytes: Uint8Array.from(buf.subarray(start, start + len)), value });
      if (this.#recent.length > RECENT_STRINGS) this.#recent.pop();
    }
    return value;
  }

  /** A bin value, copied (the result does not keep the input alive). */
  bin(what: string): Buffer {
    const len = this.#binLength(what);
    const start = this.#skip(len, what);
    return Buffer.from(this.#buf.subarray(start, start + len));
  }

  /** A bin value as a view into the input (no copy). */
  binView(what: string): Buffer {
    const len = this.#binLength(what);
    const start = this.#skip(len, what);
    return this.#buf.subarray(start, start + len);
  }

  /** Moves past a bin value; returns its length (its bytes end at `offset`). */
  skipBin(what: string): number {
    const len = this.#binLength(what);
    this.#skip(len, what);
    return len;
  }

  /** A bin value of exactly `length` bytes, as lowercase hex. */
  binHex(length: number, what: string): string {
    if (this.#binLength(what) !== length) throw this.fail(what);
    const start = this.#skip(length, what);
    return this.#buf.toString('hex', start, start + length);
  }

  /** Any integer encoding of a value in 0..2^53-1. */
  uint(what: string): number {
    const b = this.#byte(what);
    if (b < 0x80) return b;
    switch (b) {
      case 0xcc:
        return this.#byte(what);
      case 0xcd:
        return this.#u16(what);
      case 0xce:
        return this.#u32(what);
      case 0xcf:
      case 0xd3: {
        const hi = this.#u32(what);
        if (hi > 0x1fffff) throw this.fail(what); // negative (int64) or above 2^53 - 1
        return hi * 0x1_0000_0000 + this.#u32(what);
      }
      case 0xd0:
        return this.#nonNegative(this.#buf.readInt8(this.#skip(1, what)), what);
      case 0xd1:
        return this.#nonNegative(this.#buf.readInt16BE(this.#skip(2, what)), what);
      case 0xd2:
        return this.#nonNegative(this.#buf.readInt32BE(this.#skip(4, what)), what);
      default:
        throw this.fail(what);
    }
  }

  /** Any integer encoding of a value in the int64 range. */
  int64(what: string): bigint {
    const b = this.#byte(what);
    if (b < 0x80) return BigInt(b);
    if (b >= 0xe0) return BigInt(b - 0x100);
    switch (b) {
      case 0xd3:
        return this.#view.getBigInt64(this.#skip(8, what));
      case 0xcf: {
        const v = this.#view.getBigUint64(this.#skip(8, what));
        if (v > 0x7fff_ffff_ffff_ffffn) throw this.fail(what);
        return v;
      }
      case 0xcc:
        return BigInt(this.#byte(what));
      case 0xcd:
        return BigInt(this.#u16(what));
      case 0xce:
        return BigInt(this.#u32(what));
      case 0xd0:
        return BigInt(this.#buf.readInt8(this.#skip(1, what)));
      case 0xd1:
        return BigInt(this.#buf.readInt16BE(this.#skip(2, what)));
      case 0xd2:
        return BigInt(this.#buf.readInt32BE(this.#skip(4, what)));
      default:
        throw this.fail(what);
    }
  }

  /** Moves past one value of any type (maps and arrays with everything in them). */
  skipValue(what: string): void {
    for (let pending = 1; pending > 0; pending--) {
      const b = this.#byte(what);
      const size = SKIP[b]!;
      if (size > 0) this.#skip(size, what);
      else if (size < 0) pending += this.#special(b, size, what);
    }
  }

  /** Skips the payload of a value whose size is in its header; returns the items it contains. */
  #special(b: number, code: number, what: string): number {
    switch (code) {
      case FIXMAP:
        return 2 * (b & 0x0f);
      case FIXARRAY:
        return b & 0x0f;
      case LEN8:
        this.#skip(this.#byte(what), what);
        return 0;
      case LEN16:
        this.#skip(this.#u16(what), what);
        return 0;
      case LEN32:
        this.#skip(this.#u32(what), what);
        return 0;
      case EXT8:
        this.#skip(this.#byte(what) + 1, what);
        return 0;
      case EXT16:
        this.#skip(this.#u16(what) + 1, what);
        return 0;
      case EXT32:
        this.#skip(this.#u32(what) + 1, what);
        return 0;
      case ARRAY16:
        return this.#fits(this.#u16(what), 1, what);
      case ARRAY32:
        return this.#fits(this.#u32(what), 1, what);
      case MAP16:
        return 2 * this.#fits(this.#u16(what), 2, what);
      case MAP32:
        return 2 * this.#fits(this.#u32(what), 2, what);
      default:
        throw this.fail(what); // 0xc1: never used
    }
  }

  /** Items in a map or array header: the fix form (`fix` + 0..15), then the 16-bit and 32-bit forms (`c16`, `c16 + 1`). */
  #containerLength(fix: number, c16: number, what: string): number {
    const b = this.#byte(what);
    if (b >= fix && b <= fix + 0x0f) return b & 0x0f;
    if (b === c16) return this.#u16(what);
    if (b === c16 + 1) return this.#u32(what);
    throw this.fail(what);
  }

  /** `n` items of at least `bytesEach` bytes must fit in what is left of the input. */
  #fits(n: number, bytesEach: number, what: string): number {
    if (n * bytesEach > this.#buf.length - this.#pos) throw this.fail(what);
    return n;
  }

  #nonNegative(v: number, what: string): number {
    if (v < 0) throw this.fail(what);
    return v;
  }

  #strLength(what: string): number {
    const b = this.#byte(what);
    if (b >= 0xa0 && b <= 0xbf) return b & 0x1f;
    if (b === 0xd9) return this.#byte(what);
    if (b === 0xda) return this.#u16(what);
    if (b === 0xdb) return this.#u32(what);
    throw this.fail(what);
  }

  #binLength(what: string): number {
    const b = this.#byte(what);
    if (b === 0xc4) return this.#byte(what);
    if (b === 0xc5) return this.#u16(what);
    if (b === 0xc6) return this.#u32(what);
    throw this.fail(what);
  }

  /** Moves past `n` bytes; returns where they start. */
  #skip(n: number, what: string): number {
    const at = this.#pos;
    if (at + n > this.#buf.length) throw this.fail(what);
    this.#pos = at + n;
    return at;
  }

  #byte(what: string): number {
    if (this.#pos >= this.#buf.length) throw this.fail(what);
    return this.#buf[this.#pos++]!;
  }

  #u16(what: string): number {
    return this.#buf.readUInt16BE(this.#skip(2, what));
  }

  #u32(what: string): number {
    return this.#buf.readUInt32BE(this.#skip(4, what));
  }
}

const FIXMAP = -1,
  FIXARRAY = -2,
  LEN8 = -3,
  LEN16 = -4,
  LEN32 = -5,
  EXT8 = -6,
  EXT16 = -7,
  EXT32 = -8;
const ARRAY16 = -9,
  ARRAY32 = -10,
  MAP16 = -11,
  MAP32 = -12,
  NEVER = -13;

/**
 * Per type byte: the bytes after it when fixed (0 for nil, booleans and fixints; fixstr,
 * numbers and fixext), or a negative code for a size read from the header.
 */
const SKIP = ((): Int8Array => {
  const t = new Int8Array(256);
  for (let b = 0x80; b <= 0x8f; b++) t[b] = FIXMAP;
  for (let b = 0x90; b <= 0x9f; b++) t[b] = FIXARRAY;
  for (let b = 0xa0; b <= 0xbf; b++) t[b] = b & 0x1f;
  const fixed: [number, number][] = [
    [0xca, 4],
    [0xcb, 8],
    [0xcc, 1],
    [0xcd, 2],
    [0xce, 4],
    [0xcf, 8],
    [0xd0, 1],
    [0xd1, 2],
    [0xd2, 4],
    [0xd3, 8],
    [0xd4, 2],
    [0xd5, 3],
    [0xd6, 5],
    [0xd7, 9],
    [0xd8, 17],
    [0xc4, LEN8],
    [0xd9, LEN8],
    [0xc5, LEN16],
    [0xda, LEN16],
    [0xc6, LEN32],
    [0xdb, LEN32],
    [0xc7, EXT8],
    [0xc8, EXT16],
    [0xc9, EXT32],
    [0xdc, ARRAY16],
    [0xdd, ARRAY32],
    [0xde, MAP16],
    [0xdf, MAP32],
    [0xc1, NEVER],
  ];
  for (const [b, v] of fixed) t[b] = v;
  return t;
})();
