/**
 * POSIX tar (pax) headers for snapshot entries: a ustar header, preceded by a pax extended header when a
 * value does not fit ustar (long path or link, sub-second or out-of-range mtime, large ids or size, long
 * owner names) and for extended attributes (SCHILY.xattr, as GNU tar and bsdtar read them).
 */
import { isUtf8 } from 'node:buffer';
import type { Node } from '../node.js';

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

const TYPE_FLAG: Partial<Record<Node['type'], string>> = { file: '0', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' };
const HARDLINK = '1';
const NS = 1_000_000_000n;
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

export interface TarEntry {
  /** Name in the archive (no trailing '/' for directories: added here). */
  readonly path: Buffer;
  readonly node: Node;
  /** For a further name of a hardlinked file: the name it was first written under. */
  readonly hardlinkTo?: Buffer;
}

/** Whether tar can carry an entry of this type (it has no sockets). */
export const tarCarries = (type: Node['type']): boolean => TYPE_FLAG[type] !== undefined;

/** The bytes of content that follow the header: the file size, or 0. */
export const tarBodySize = (e: TarEntry): number => (e.node.type === 'file' && !e.hardlinkTo ? e.node.size : 0);

/** Zeros that pad `size` bytes of content to a whole block. */
export const tarPadding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** Header block(s) of one entry. */
export function tarHeader(e: TarEntry): Buffer {
  const n = e.node;
  const name = n.type === 'dir' ? Buffer.concat([e.path, Buffer.from('/')]) : e.path;
  const link = e.hardlinkTo ?? (n.type === 'symlink' ? (n.linkTarget ?? Buffer.alloc(0)) : Buffer.alloc(0));
  const pax: [string, Buffer][] = [];
  const want = (fits: boolean, key: string, value: string | Buffer): void => {
    if (!fits) pax.push([key, Buffer.from(value)]);
  };
  want(name.length <= 100, 'path', name);
  want(link.length <= 100, 'linkpath', link);
  if (pax.length > 0 && !(isUtf8(name) && isUtf8(link))) pax.unshift(['hdrcharset', Buffer.from('BINARY')]);
  const sec = floorDiv(n.mtimeNs, NS);
  const frac = n.mtimeNs - sec * NS;
  want(frac === 0n && sec >= 0n && sec <= BigInt(MAX_OCTAL_11), 'mtime', paxTime(sec, frac));
  want(n.uid <= MAX_OCTAL_7, 'uid', String(n.uid));
  want(n.gid <= MAX_OCTAL_7, 'gid', String(n.gid));
  const size = tarBodySize(e);
  want(size <= MAX_OCTAL_11, 'size', String(size));
  want(Buffer.byteLength(n.user ?? '') < 32, 'uname', n.user ?? '');
  want(Buffer.byteLength(n.group ?? '') < 32, 'gname', n.group ?? '');
  for (const [k, v] of n.xattrs ?? []) pax.push([`SCHILY.xattr.${k}`, v]);
  const ustar = ustarBlock(e, name, link, size, sec);
  return pax.length === 0 ? ustar : Buffer.concat([paxBlocks(pax, name, sec), ustar]);
}

function ustarBlock(e: TarEntry, name: Buffer, link: Buffer, size: number, sec: bigint): Buffer {
  const n = e.node;
  const b = Buffer.alloc(BLOCK);
  name.copy(b, 0, 0, Math.min(name.length, 100));
  octal(b, 100, 8, n.mode & 0o7777);
  octal(b, 108, 8, n.uid <= MAX_OCTAL_7 ? n.uid : 0);
  octal(b, 116, 8, n.gid <= MAX_OCTAL_7 ? n.gid : 0);
  octal(b, 124, 12, size <= MAX_OCTAL_11 ? size : 0);
  octal(b, 136, 12, sec >= 0n && sec <= BigInt(MAX_OCTAL_11) ? Number(sec) : 0);
  b.write(e.hardlinkTo ? HARDLINK : (TYPE_FLAG[n.type] ?? '0'), 156, 'latin1');
  link.copy(b, 157, 0, Math.min(link.length, 100));
  b.write('ustar\u000000', 257, 'latin1');
  writeName(b, 265, n.user);
  writeName(b, 297, n.group);
  if ((n.type === 'chardev' || n.type === 'blockdev') && n.rdev !== undefined) {
    octal(b, 329, 8, devMajor(n.rdev));
    octal(b, 337, 8, devMinor(n.rdev));
  }
  return checksum(b);
}

/** A pax extended header ('x') holding `records`, padded to whole blocks. */
function paxBlocks(records: readonly [string, Buffer][], name: Buffer, sec: bigint): Buffer {
  const body = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  const head = Buffer.alloc(BLOCK);
  const base = name.subarray(Math.max(0, name.lastIndexOf('/', name.length - 2) + 1)).subarray(0, 80);
  Buffer.concat([Buffer.from('PaxHeaders/'), base]).copy(head, 0, 0, 100);
  octal(head, 100, 8, 0o644);
  octal(head, 108, 8, 0);
  octal(head, 116, 8, 0);
  octal(head, 124, 12, body.length);
  octal(head, 136, 12, sec >= 0n && sec <= BigInt(MAX_OCTAL_11) ? Number(sec) : 0);
  head.write('x', 156, 'latin1');
  head.write('ustar\u000000', 257, 'latin1');
  return Buffer.concat([checksum(head), body, tarPadding(body.length)]);
}

/** "LEN key=value\n", where LEN counts the whole record including its own digits. */
export function paxRecord(key: string, value: Buffer): Buffer {
  const rest = 1 + Buffer.byteLength(key) + 1 + value.length + 1;
  let len = rest + String(rest).length;
  if (String(len).length + rest !== len) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

function paxTime(sec: bigint, frac: bigint): string {
  if (frac === 0n) return sec.toString();
  // Negative times: seconds rounded down plus a positive fraction, written as one signed decimal.
  const total = sec * NS + frac;
  const abs = total < 0n ? -total : total;
  return `${total < 0n ? '-' : ''}${abs / NS}.${(abs % NS).toString().padStart(9, '0').replace(/0+$/, '')}`;
}

const floorDiv = (a: bigint, b: bigint): bigint => a / b - (a % b !== 0n && a < 0n ? 1n : 0n);

function octal(b: Buffer, at: number, width: number, value: number): void {
  b.write(`${value.toString(8).padStart(width - 1, '0')}\0`, at, width, 'latin1');
}

function writeName(b: Buffer, at: number, name: string | undefined): void {
  if (name !== undefined && Buffer.byteLength(name) < 32) b.write(name, at, 32, 'utf8');
}

function checksum(b: Buffer): Buffer {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return b;
}

/** Linux's split of a device number (glibc gnu_dev_major / gnu_dev_minor), for numbers beyond 32 bits too. */
export function devMajor(rdev: number): number {
  const d = BigInt(rdev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
}

export function devMinor(rdev: number): number {
  const d = BigInt(rdev);
  return Number((d & 0xffn) | ((d >> 12n) & ~0xffn & 0xffffffffn));
}
