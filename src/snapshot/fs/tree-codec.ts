/** Tree blobs: one directory's entries as canonical msgpack (docs/FORMAT.md §9.2), with strict decoding. */
import { MsgReader } from '../../codec/msgpack-reader.js';
import { MsgWriter } from '../../codec/msgpack-writer.js';
import { corrupt, invalidArgument } from '../../core/errors.js';
import type { BlobId } from '../../core/ids.js';
import type { Mutable } from '../../core/types.js';
import type { Node } from '../node.js';
import { TYPE_CODES, typeCode } from './file-type.js';
import { XATTRS_UNREAD, compareNames } from './xattrs.js';
import { compareBytes } from '../../core/bytes.js';

export const TREE_VERSION = 1;

const REQUIRED = ['n', 't', 'm', 'u', 'g', 'mt', 'at', 'ct', 's', 'al', 'd', 'i', 'l'] as const;

const writer = new MsgWriter();

/** The top-level map of a tree blob up to its entries: version 1 and the header of an array of `count`. */
function writeHeader(count: number): void {
  writer.mapHeader(2);
  writer.key('v');
  writer.uint(TREE_VERSION);
  writer.key('e');
  writer.arrayHeader(count);
}

/** Serialises entries that are sorted strictly by name bytes; equal inputs give equal bytes. */
export function encodeTree(nodes: readonly Node[]): Uint8Array {
  checkOrder(
    nodes.map((n) => n.name),
    invalidArgument,
  );
  try {
    writeHeader(nodes.length);
    for (const n of nodes) encodeNode(writer, n);
    return writer.take();
  } catch (err) {
    writer.reset();
    throw err;
  }
}

export function decodeTree(bytes: Uint8Array): Node[] {
  return decodeTop(bytes, (r) => {
    const count = r.arrayHeader('tree blob (entries)');
    const nodes: Node[] = [];
    const fields = new EntryFields();
    for (let i = 0; i < count; i++) {
      const node = decodeNode(r, fields);
      if (i > 0 && compareBytes(nodes[i - 1]!.name, node.name) >= 0) throw corrupt('tree entries not sorted strictly by name bytes');
      nodes.push(node);
    }
    return nodes;
  });
}

/** Where a tree's encoded entries can be taken from as they are (tree-spans.ts). */
export interface EncodedEntries {
  readonly bytes: Buffer;
  /** Entry j is `bytes[start(j), start(j + 1))`. */
  start(j: number): number;
}

/**
 * A tree of `items` in their order, and where each entry starts in it (`starts[items.length]` is its end): a node is
 * encoded, a number j is entry j of `from` written as it is. The caller gives the entries of a checked tree in its
 * order (copy-trees.ts): names are not compared again here.
 */
export function encodeEntries(
  items: readonly (Node | number)[],
  from: EncodedEntries | undefined,
): { readonly bytes: Uint8Array; readonly starts: Uint32Array } {
  const starts = new Uint32Array(items.length + 1);
  try {
    writeHeader(items.length);
    for (let i = 0; i < items.length;) {
      const begin = writer.length;
      starts[i] = begin;
      const item = items[i] as Node | number;
      if (typeof item !== 'number') {
        encodeNode(writer, item);
        i++;
        continue;
      }
      if (from === undefined) throw invalidArgument('an entry to take as it is, from no tree');
      // Entries taken in a row lie in a row in `from`: one copy for all of them.
      let j = i + 1;
      for (; j < items.length && items[j] === item + (j - i); j++) starts[j] = begin + from.start(item + (j - i)) - from.start(item);
      writer.raw(from.bytes, from.start(item), from.start(item + (j - i)));
      i = j;
    }
    starts[items.length] = writer.length;
    return { bytes: writer.take(), starts };
  } catch (err) {
    writer.reset();
    throw err;
  }
}

/** What a reachability walk needs of an entry: its name (a view into the tree's bytes) and the blobs it references. */
export interface TreeRefs {
  readonly name: Buffer;
  readonly subtree?: BlobId | undefined;
  readonly content?: readonly BlobId[] | undefined;
}

/**
 * The entries of a tree that reference blobs, read without building nodes: for walks that only
 * mark what is reachable (prune). The msgpack structure, the header and the ids are checked;
 * other values are skipped unchecked (`check` decodes trees in full). An `st` is taken on any
 * entry: a walk that keeps more alive than needed is still safe.
 */
export function decodeTreeRefs(bytes: Uint8Array): TreeRefs[] {
  return decodeTop(bytes, (r) => {
    const count = r.arrayHeader('tree blob (entries)');
    const out: TreeRefs[] = [];
    for (let i = 0; i < count; i++) {
      let name: Buffer = EMPTY;
      let subtree: BlobId | undefined;
      let content: BlobId[] | undefined;
      const keys = r.mapHeader('tree entry');
      for (let k = 0; k < keys; k++) {
        const key = r.shortKey('tree entry');
        if (key === K.n) name = r.binView('tree entry (n)');
        else if (key === K.st) subtree = r.binHex(32, 'tree entry (st)') as BlobId;
        else if (key === K.c) content = blobIds(r);
        else r.skipValue('tree entry');
      }
      if (subtree !== undefined || content !== undefined) out.push({ name, subtree, content });
    }
    return out;
  });
}

const EMPTY = Buffer.alloc(0);

/** The top-level map of a tree blob: version 1 and the entries read by `entries`, nothing after. */
export function decodeTop<T>(bytes: Uint8Array, entries: (r: MsgReader) => T): T {
  const r = new MsgReader(bytes, (what) => corrupt(what));
  let out: T | undefined;
  let version: number | undefined;
  const keys = r.mapHeader('tree blob (not a map)');
  for (let k = 0; k < keys; k++) {
    const key = r.shortKey('tree blob (header)');
    if (key === K.v && version === undefined) version = r.uint('tree blob (header)');
    else if (key === K.e && out === undefined) out = entries(r);
    else throw corrupt('tree blob (header)');
  }
  if (version !== TREE_VERSION || out === undefined) throw corrupt('tree blob (header)');
  if (!r.done) throw corrupt('tree blob (trailing bytes)');
  return out;
}

/** Map keys of FORMAT §9.2 as MsgReader.shortKey reads them. */
const K = {
  v: 0x76,
  e: 0x65,
  n: 0x6e,
  t: 0x74,
  m: 0x6d,
  u: 0x75,
  g: 0x67,
  mt: 0x6d74,
  at: 0x6174,
  ct: 0x6374,
  s: 0x73,
  al: 0x616c,
  d: 0x64,
  i: 0x69,
  l: 0x6c,
  un: 0x756e,
  gn: 0x676e,
  r: 0x72,
  lt: 0x6c74,
  x: 0x78,
  c: 0x63,
  cs: 0x6373,
  st: 0x7374,
} as const;

/** One bit per key, the required ones first (in REQUIRED's order). */
const BIT = {
  n: 1 << 0,
  t: 1 << 1,
  m: 1 << 2,
  u: 1 << 3,
  g: 1 << 4,
  mt: 1 << 5,
  at: 1 << 6,
  ct: 1 << 7,
  s: 1 << 8,
  al: 1 << 9,
  d: 1 << 10,
  i: 1 << 11,
  l: 1 << 12,
  un: 1 << 13,
  gn: 1 << 14,
  r: 1 << 15,
  lt: 1 << 16,
  x: 1 << 17,
  c: 1 << 18,
  cs: 1 << 19,
  st: 1 << 20,
} as const;
const ALL_REQUIRED = (1 << REQUIRED.length) - 1;

/**
 * One entry's values as read, before they are checked. One per tree, reused from entry to entry so that
 * reading leaves no garbage: `seen` has a bit per key read in the current entry, and the optional values
 * are cleared before each (the required ones are used only once all of them were read).
 */
class EntryFields {
  seen = 0;
  name: Buffer = EMPTY;
  typeCode = 0;
  mode = 0;
  uid = 0;
  gid = 0;
  size = 0;
  allocated = 0;
  device = 0;
  inode = 0;
  links = 0;
  rdev = 0;
  mtimeNs = 0n;
  atimeNs = 0n;
  ctimeNs = 0n;
  user: string | undefined;
  group: string | undefined;
  linkTarget: Buffer | undefined;
  xattrs: [string, Buffer][] | undefined;
  ids: BlobId[] | undefined;
  sizes: number[] | undefined;
  subtree: string | undefined;

  clear(): void {
    this.seen = 0;
    this.user = this.group = this.subtree = undefined;
    this.linkTarget = this.xattrs = this.ids = this.sizes = undefined;
  }
}

/** Reads the value of one key of an entry into `f`: the key's bit. (A switch: this runs for every key of every entry.) */
function readField(r: MsgReader, f: EntryFields, key: number): number {
  switch (key) {
    case K.n:
      f.name = r.bin('tree entry (n)');
      return BIT.n;
    case K.t:
      f.typeCode = r.uint('tree entry (t)');
      return BIT.t;
    case K.m:
      f.mode = r.uint('tree entry (m)');
      return BIT.m;
    case K.u:
      f.uid = r.uint('tree entry (u)');
      return BIT.u;
    case K.g:
      f.gid = r.uint('tree entry (g)');
      return BIT.g;
    case K.mt:
      f.mtimeNs = r.int64('tree entry (mt)');
      return BIT.mt;
    case K.at:
      f.atimeNs = r.int64('tree entry (at)');
      return BIT.at;
    case K.ct:
      f.ctimeNs = r.int64('tree entry (ct)');
      return BIT.ct;
    case K.s:
      f.size = r.uint('tree entry (s)');
      return BIT.s;
    case K.al:
      f.allocated = r.uint('tree entry (al)');
      return BIT.al;
    case K.d:
      f.device = r.uint('tree entry (d)');
      return BIT.d;
    default:
      return readLaterField(r, f, key);
  }
}

function readLaterField(r: MsgReader, f: EntryFields, key: number): number {
  switch (key) {
    case K.i:
      f.inode = r.uint('tree entry (i)');
      return BIT.i;
    case K.l:
      f.links = r.uint('tree entry (l)');
      return BIT.l;
    case K.un:
      f.user = r.strRepeated('tree entry (un)');
      return BIT.un;
    case K.gn:
      f.group = r.strRepeated('tree entry (gn)');
      return BIT.gn;
    case K.r:
      f.rdev = r.uint('tree entry (r)');
      return BIT.r;
    case K.lt:
      f.linkTarget = r.bin('tree entry (lt)');
      return BIT.lt;
    case K.x:
      f.xattrs = xattrs(r);
      return BIT.x;
    case K.c:
      f.ids = blobIds(r);
      return BIT.c;
    case K.cs:
      f.sizes = uints(r, 'tree entry (cs)');
      return BIT.cs;
    case K.st:
      f.subtree = r.binHex(32, 'tree entry (st)');
      return BIT.st;
    default:
      throw corrupt('tree entry (unknown key)');
  }
}

/** Reads one entry straight into a Node (no intermediate map: trees are decoded by the ten thousand). */
function decodeNode(r: MsgReader, f: EntryFields): Node {
  readFields(r, f);
  if ((f.seen & ALL_REQUIRED) !== ALL_REQUIRED) {
    throw corrupt(`tree entry (missing ${REQUIRED.find((_, i) => (f.seen & (1 << i)) === 0)!})`);
  }
  const node = requiredPart(f);
  addOptional(node, f);
  return node;
}

const entryFields = new EntryFields();

/** The entry at `r`'s offset, read and checked as decodeTree reads each (its place among the others is not checked). */
export function decodeEntry(r: MsgReader): Node {
  return decodeNode(r, entryFields);
}

/** Reads one entry's keys and values into `f`; a key unknown, or seen before in the entry, is corrupt. */
function readFields(r: MsgReader, f: EntryFields): void {
  f.clear();
  const keys = r.mapHeader('tree entry');
  for (let k = 0; k < keys; k++) {
    const bit = readField(r, f, r.shortKey('tree entry (unknown key)'));
    if ((f.seen & bit) !== 0) throw corrupt('tree entry (duplicate key)');
    f.seen |= bit;
  }
}

/** The node of the required values, checked (all of them were read). */
function requiredPart(f: EntryFields): Mutable<Node> {
  const type = TYPE_CODES[f.typeCode];
  if (type === undefined) throw corrupt('tree entry (type)');
  if (!validName(f.name)) throw corrupt('tree entry (name)');
  if (f.mode > 0o7777) throw corrupt('tree entry (mode)');
  if (f.uid > 0xffffffff) throw corrupt('tree entry (u)');
  if (f.gid > 0xffffffff) throw corrupt('tree entry (g)');
  const { name, mode, uid, gid, mtimeNs, atimeNs, ctimeNs, size, allocated, device, inode, links } = f;
  return { name, type, mode, uid, gid, mtimeNs, atimeNs, ctimeNs, size, allocated, device, inode, links };
}

/** Adds the optional values read to `node`; one its type does not allow is corrupt. */
function addOptional(node: Mutable<Node>, f: EntryFields): void {
  const type = node.type;
  if (f.user !== undefined) node.user = f.user;
  if (f.group !== undefined) node.group = f.group;
  if ((f.seen & BIT.r) !== 0) node.rdev = only(type === 'chardev' || type === 'blockdev', 'r', f.rdev);
  if (type === 'symlink') {
    if (f.linkTarget === undefined) throw corrupt('tree entry (lt)');
    node.linkTarget = f.linkTarget;
  } else if (f.linkTarget !== undefined) only(false, 'lt', 0);
  if (f.xattrs !== undefined) node.xattrs = f.xattrs;
  if (f.ids !== undefined || f.sizes !== undefined) {
    if (type !== 'file' || f.ids === undefined || f.sizes === undefined || f.ids.length !== f.sizes.length) {
      throw corrupt('tree entry (content)');
    }
    node.content = f.ids;
    node.sizes = f.sizes;
  }
  if (f.subtree !== undefined) node.subtree = only(type === 'dir', 'st', f.subtree as BlobId);
}

/** Arrays sized to their header (arrayHeader bounds it by the bytes left): a first push would reserve 17 slots. */
function blobIds(r: MsgReader): BlobId[] {
  const n = r.arrayHeader('tree entry (content)');
  const out = new Array<BlobId>(n);
  for (let i = 0; i < n; i++) out[i] = r.binHex(32, 'tree entry (c)') as BlobId;
  return out;
}

function uints(r: MsgReader, what: string): number[] {
  const n = r.arrayHeader('tree entry (content)');
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = r.uint(what);
  return out;
}

function xattrs(r: MsgReader): [string, Buffer][] {
  const n = r.arrayHeader('tree entry (x)');
  if (n === 0) throw corrupt('tree entry (x)');
  const out: [string, Buffer][] = [];
  for (let i = 0; i < n; i++) {
    if (r.arrayHeader('tree entry (x)') !== 2) throw corrupt('tree entry (x)');
    out.push([r.str('tree entry (x)'), r.bin('tree entry (x)')]);
    if (i > 0 && compareNames(out[i - 1]![0], out[i]![0]) >= 0) throw corrupt('tree entry (x order)');
  }
  return out;
}

/** Keys in the order of the FORMAT §9.2 table; the canonical form has no other. */
function encodeNode(w: MsgWriter, n: Node): void {
  if (!validName(n.name)) throw invalidArgument(`invalid entry name ${JSON.stringify(n.name.toString('latin1'))}`);
  // A scan's unread xattrs must have been filled in: encoding them as none would lose them.
  if (n.xattrs === XATTRS_UNREAD) throw invalidArgument(`xattrs of ${JSON.stringify(n.name.toString('latin1'))} were not read`);
  const xattrs = n.xattrs !== undefined && n.xattrs.length > 0 ? n.xattrs : undefined;
  if (n.content !== undefined && (n.sizes ?? []).length !== n.content.length) throw invalidArgument('content and sizes differ in length');
  w.mapHeader(REQUIRED.length + optionalCount(n, xattrs));
  writeStat(w, n);
  writeExtras(w, n, xattrs);
  writeBlobs(w, n);
}

/** How many optional keys the entry of `n` has (`c` and `cs` come together). */
function optionalCount(n: Node, xattrs: Node['xattrs']): number {
  return (
    Number(n.user !== undefined) +
    Number(n.group !== undefined) +
    Number(n.rdev !== undefined) +
    Number(n.linkTarget !== undefined) +
    Number(xattrs !== undefined) +
    2 * Number(n.content !== undefined) +
    Number(n.subtree !== undefined)
  );
}

/** The keys `n` to `r`: the name and what stat tells of the entry. */
function writeStat(w: MsgWriter, n: Node): void {
  w.key('n');
  w.bin(n.name);
  uintField(w, 't', typeCode(n.type));
  uintField(w, 'm', n.mode);
  uintField(w, 'u', n.uid);
  uintField(w, 'g', n.gid);
  if (n.user !== undefined) strField(w, 'un', n.user);
  if (n.group !== undefined) strField(w, 'gn', n.group);
  int64Field(w, 'mt', n.mtimeNs);
  int64Field(w, 'at', n.atimeNs);
  int64Field(w, 'ct', n.ctimeNs);
  uintField(w, 's', n.size);
  uintField(w, 'al', n.allocated);
  uintField(w, 'd', n.device);
  uintField(w, 'i', n.inode);
  uintField(w, 'l', n.links);
  if (n.rdev !== undefined) uintField(w, 'r', n.rdev);
}

/** The keys `lt` and `x`: a symlink's target and the extended attributes (none is written as no key). */
function writeExtras(w: MsgWriter, n: Node, xattrs: Node['xattrs']): void {
  if (n.linkTarget !== undefined) {
    w.key('lt');
    w.bin(n.linkTarget);
  }
  if (xattrs !== undefined) {
    w.key('x');
    w.arrayHeader(xattrs.length);
    for (const [k, v] of xattrs) {
      w.arrayHeader(2);
      w.str(k);
      w.bin(v);
    }
  }
}

/** The keys `c`, `cs` and `st`: the blobs of a file's content and a directory's subtree. */
function writeBlobs(w: MsgWriter, n: Node): void {
  if (n.content !== undefined) {
    const sizes = n.sizes ?? [];
    w.key('c');
    w.arrayHeader(n.content.length);
    for (const id of n.content) w.binHex(checkedId(id));
    w.key('cs');
    w.arrayHeader(sizes.length);
    for (const size of sizes) w.uint(size);
  }
  if (n.subtree !== undefined) {
    w.key('st');
    w.binHex(checkedId(n.subtree));
  }
}

function uintField(w: MsgWriter, key: string, v: number): void {
  w.key(key);
  w.uint(v);
}

function int64Field(w: MsgWriter, key: string, v: bigint): void {
  w.key(key);
  w.int64(v);
}

function strField(w: MsgWriter, key: string, v: string): void {
  w.key(key);
  w.str(v);
}

/** 64 characters; binHex refuses any that is not a hex digit. */
function checkedId(id: BlobId): BlobId {
  if (id.length !== 64) throw invalidArgument(`invalid blob id ${id}`);
  return id;
}

function only<T>(allowed: boolean, key: string, value: T): T {
  if (!allowed) throw corrupt(`tree entry (${key} on wrong type)`);
  return value;
}

/** A name that is safe to create inside a directory: not empty, `.` or `..`, and without `/` or NUL. */
export function validName(name: Buffer): boolean {
  const n = name.length;
  if (n === 0 || (n <= 2 && name[0] === 0x2e && name[n - 1] === 0x2e)) return false;
  // A loop, not two includes(): names are short, and each native call costs more than the scan.
  for (let i = 0; i < n; i++) {
    const c = name[i];
    if (c === 0x2f || c === 0) return false;
  }
  return true;
}

function checkOrder(names: readonly Buffer[], fail: (what: string) => Error): void {
  for (let i = 1; i < names.length; i++) {
    if (compareBytes(names[i - 1]!, names[i]!) >= 0) throw fail('tree entries not sorted strictly by name bytes');
  }
}
