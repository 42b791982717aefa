/**
 * Lossless names for FUSE, which passes names as UTF-8 strings.
 *
 * A name that is valid UTF-8 is served unchanged, unless it contains `\\` or `\x` followed by two
 * lowercase hex digits. Such names and names that are not valid UTF-8 are escaped: each `\` becomes
 * `\\` and each byte that is not part of a valid UTF-8 sequence becomes `\xhh`. `unescapeName`
 * inverts both cases, so `unescapeName(servedName(b))` equals `b` for every byte string `b`.
 */

const BACKSLASH = 0x5c;
const ESCAPE = /\\(\\|x[0-9a-f]{2})/;

/** The UTF-8 string under which the raw name `bytes` is served. */
export function servedName(bytes: Uint8Array): string {
  const invalid = invalidUtf8Bytes(bytes);
  if (invalid.size === 0) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    if (!ESCAPE.test(text)) return text;
  }
  return escapeBytes(bytes, invalid);
}

/** The raw name bytes a served name stands for. */
export function unescapeName(name: string): Buffer {
  const src = Buffer.from(name, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const b = src[i] as number;
    if (b === BACKSLASH && src[i + 1] === BACKSLASH) {
      out.push(BACKSLASH);
      i++;
    } else if (b === BACKSLASH && isHexEscape(src, i)) {
      out.push(parseInt(src.toString('latin1', i + 2, i + 4), 16));
      i += 3;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

function isHexEscape(src: Buffer, i: number): boolean {
  return src[i + 1] === 0x78 && isLowerHex(src[i + 2]) && isLowerHex(src[i + 3]);
}

function isLowerHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66));
}

function escapeBytes(bytes: Uint8Array, invalid: ReadonlySet<number>): string {
  const out: number[] = [];
  bytes.forEach((b, i) => {
    if (invalid.has(i)) out.push(...Buffer.from(`\\x${b.toString(16).padStart(2, '0')}`, 'latin1'));
    else if (b === BACKSLASH) out.push(BACKSLASH, BACKSLASH);
    else out.push(b);
  });
  return Buffer.from(out).toString('utf8');
}

/** Positions of bytes that do not belong to a well-formed UTF-8 sequence. */
export function invalidUtf8Bytes(bytes: Uint8Array): Set<number> {
  const invalid = new Set<number>();
  let i = 0;
  while (i < bytes.length) {
    const len = sequenceLength(bytes, i);
    if (len === 0) invalid.add(i++);
    else i += len;
  }
  return invalid;
}

/** Length of the well-formed UTF-8 sequence starting at `i`, or 0 (RFC 3629 table 3-7). */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
