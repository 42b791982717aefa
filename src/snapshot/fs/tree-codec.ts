/** Tree blobs: one directory's entries as canonical msgpack (docs/FORMAT.md §9.2), with strict decoding. */
import { Packr, Unpackr } from 'msgpackr';
import { corrupt, invalidArgument } from '../../core/errors.js';
import { type BlobId, isHexId } from '../../core/ids.js';
import type { Node } from '../node.js';
import { TYPE_CODES, typeCode } from './file-type.js';
import { compareNames } from './xattrs.js';

export const TREE_VERSION = 1;

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'bigint' });

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const REQUIRED = ['n', 't', 'm', 'u', 'g', 'mt', 'at', 'ct', 's', 'al', 'd', 'i', 'l'] as const;
const KNOWN = new Set<string>([...REQUIRED, 'un', 'gn', 'r', 'lt', 'x', 'c', 'cs', 'st']);

/** Serialises entries that are sorted strictly by name bytes; equal inputs give equal bytes. */
export function encodeTree(nodes: readonly Node[]): Uint8Array {
  checkOrder(nodes.map((n) => n.name), invalidArgument);
  return packr.pack({ v: TREE_VERSION, e: nodes.map(encodeNode) });
}

export function decodeTree(bytes: Uint8Array): Node[] {
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch (cause) {
    throw corrupt('tree blob (not msgpack)', cause);
  }
  return decodeTop(value);
}

function encodeNode(n: Node): Record<string, unknown> {
  if (!validName(n.name)) throw invalidArgument(`invalid entry name ${JSON.stringify(n.name.toString('latin1'))}`);
  return {
    n: n.name,
    t: typeCode(n.type),
    m: n.mode,
    u: int(n.uid),
    g: int(n.gid),
    ...(n.user !== undefined && { un: n.user }),
    ...(n.group !== undefined && { gn: n.group }),
    mt: n.mtimeNs,
    at: n.atimeNs,
    ct: n.ctimeNs,
    s: int(n.size),
    al: int(n.allocated),
    d: int(n.device),
    i: int(n.inode),
    l: int(n.links),
    ...(n.rdev !== undefined && { r: int(n.rdev) }),
    ...(n.linkTarget !== undefined && { lt: n.linkTarget }),
    ...(n.xattrs !== undefined && n.xattrs.length > 0 && { x: n.xattrs.map(([k, v]) => [k, v]) }),
    ...(n.content !== undefined && { c: n.content.map(idBytes), cs: (n.sizes ?? []).map(int) }),
    ...(n.subtree !== undefined && { st: idBytes(n.subtree) }),
  };
}

/** msgpackr writes uint32-range numbers in the shortest form; larger ones go as int64 via bigint. */
function int(v: number): number | bigint {
  return v <= 0xffffffff ? v : BigInt(v);
}

function idBytes(id: BlobId): Buffer {
  if (!isHexId(id)) throw invalidArgument(`invalid blob id ${id}`);
  return Buffer.from(id, 'hex');
}

function decodeTop(value: unknown): Node[] {
  const top = asMap(value, 'tree');
  if (top.size !== 2 || top.get('v') !== TREE_VERSION) throw corrupt('tree blob (header)');
  const entries = top.get('e');
  if (!Array.isArray(entries)) throw corrupt('tree blob (entries)');
  const nodes = entries.map(decodeNode);
  checkOrder(nodes.map((n) => n.name), corrupt);
  return nodes;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Builds the node field by field (no intermediate objects: trees are decoded by the ten thousand). */
function decodeNode(value: unknown): Node {
  const m = asMap(value, 'tree entry');
  for (const key of m.keys()) if (typeof key !== 'string' || !KNOWN.has(key)) throw corrupt('tree entry (unknown key)');
  for (const key of REQUIRED) if (!m.has(key)) throw corrupt(`tree entry (missing ${key})`);
  const type = TYPE_CODES[safeInt(m.get('t'), 't')];
  if (type === undefined) throw corrupt('tree entry (type)');
  const name = bin(m.get('n'), 'n');
  if (!validName(name)) throw corrupt('tree entry (name)');
  const mode = safeInt(m.get('m'), 'm');
  if (mode > 0o7777) throw corrupt('tree entry (mode)');
  const node: Mutable<Node> = {
    name,
    type,
    mode,
    uid: uint32(m.get('u'), 'u'),
    gid: uint32(m.get('g'), 'g'),
    mtimeNs: ns(m.get('mt'), 'mt'),
    atimeNs: ns(m.get('at'), 'at'),
    ctimeNs: ns(m.get('ct'), 'ct'),
    size: safeInt(m.get('s'), 's'),
    allocated: safeInt(m.get('al'), 'al'),
    device: safeInt(m.get('d'), 'd'),
    inode: safeInt(m.get('i'), 'i'),
    links: safeInt(m.get('l'), 'l'),
  };
  if (m.has('un')) node.user = str(m.get('un'), 'un');
  if (m.has('gn')) node.group = str(m.get('gn'), 'gn');
  if (m.has('r')) node.rdev = only(type === 'chardev' || type === 'blockdev', 'r', safeInt(m.get('r'), 'r'));
  if (type === 'symlink') node.linkTarget = bin(m.get('lt'), 'lt');
  else if (m.has('lt')) only(false, 'lt', 0);
  if (m.has('x')) node.xattrs = xattrs(m.get('x'));
  if (m.has('c') || m.has('cs')) content(m, type === 'file', node);
  if (m.has('st')) node.subtree = only(type === 'dir', 'st', blobId(m.get('st'), 'st'));
  return node;
}

function content(m: Map<unknown, unknown>, isFile: boolean, node: Mutable<Node>): void {
  const ids = m.get('c');
  const sizes = m.get('cs');
  if (!isFile || !Array.isArray(ids) || !Array.isArray(sizes) || ids.length !== sizes.length) {
    throw corrupt('tree entry (content)');
  }
  node.content = ids.map((id) => blobId(id, 'c'));
  node.sizes = sizes.map((s) => safeInt(s, 'cs'));
}

function xattrs(v: unknown): readonly (readonly [string, Buffer])[] {
  if (!Array.isArray(v) || v.length === 0) throw corrupt('tree entry (x)');
  const out = v.map((pair): [string, Buffer] => {
    if (!Array.isArray(pair) || pair.length !== 2) throw corrupt('tree entry (x)');
    return [str(pair[0], 'x'), bin(pair[1], 'x')];
  });
  for (let i = 1; i < out.length; i++) {
    if (compareNames(out[i - 1]![0], out[i]![0]) >= 0) throw corrupt('tree entry (x order)');
  }
  return out;
}

function only<T>(allowed: boolean, key: string, value: T): T {
  if (!allowed) throw corrupt(`tree entry (${key} on wrong type)`);
  return value;
}

function asMap(v: unknown, what: string): Map<unknown, unknown> {
  if (!(v instanceof Map)) throw corrupt(what);
  return v;
}

function safeInt(v: unknown, key: string): number {
  const n = typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw corrupt(`tree entry (${key})`);
  return n;
}

function uint32(v: unknown, key: string): number {
  const n = safeInt(v, key);
  if (n > 0xffffffff) throw corrupt(`tree entry (${key})`);
  return n;
}

function ns(v: unknown, key: string): bigint {
  const n = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof n !== 'bigint' || n < INT64_MIN || n > INT64_MAX) throw corrupt(`tree entry (${key})`);
  return n;
}

function bin(v: unknown, key: string): Buffer {
  if (!(v instanceof Uint8Array)) throw corrupt(`tree entry (${key})`);
  return Buffer.from(v);
}

function str(v: unknown, key: string): string {
  if (typeof v !== 'string') throw corrupt(`tree entry (${key})`);
  return v;
}

function blobId(v: unknown, key: string): BlobId {
  if (!(v instanceof Uint8Array) || v.length !== 32) throw corrupt(`tree entry (${key})`);
  return Buffer.from(v.buffer, v.byteOffset, 32).toString('hex') as BlobId;
}

/** A name that is safe to create inside a directory: not empty, `.` or `..`, and without `/` or NUL. */
export function validName(name: Buffer): boolean {
  if (name.length === 0 || name.includes(0x2f) || name.includes(0)) return false;
  return !(name.length <= 2 && name.every((c) => c === 0x2e));
}

function checkOrder(names: readonly Buffer[], fail: (what: string) => Error): void {
  for (let i = 1; i < names.length; i++) {
    if (Buffer.compare(names[i - 1]!, names[i]!) >= 0) throw fail('tree entries not sorted strictly by name bytes');
  }
}
