/**
 * A directory's entries as the mount serves them, in typed arrays. Decoded nodes are copied here
 * and dropped at once: kept, each took several times the memory of its entry here, and the collector
 * copied every one of them out of the young generation (most of a cold `find`'s time). Here entries
 * live in a few buffers the collector never walks, and what a request needs is read from them; a
 * whole Node is rebuilt only for hardlinks.
 */
import { ID_BYTES, type BlobId } from '../core/ids.js';
import type { Node, NodeType } from '../snapshot/node.js';
import { modeBitsOf, TYPE_CODES, typeCode } from '../snapshot/fs/file-type.js';
import { blobKeyAt, NO_BLOB } from './held-nodes.js';
import type { Attr } from './kernel/wire.js';

/** Numbers per entry in `numbers`, in this order. */
const SIZE = 0;
const ALLOCATED = 1;
const DEVICE = 2;
const INODE = 3;
const LINKS = 4;
const RDEV = 5;
const NUMBERS = 6;
const DIR = typeCode('dir');
const SYMLINK = typeCode('symlink');
const FILE = typeCode('file');

/** A file's chunks: blob ids in order and the plaintext size of each. */
export interface FileChunks {
  readonly content?: readonly BlobId[];
  readonly sizes?: readonly number[];
}

export class DirListing {
  readonly length: number;
  /** Each entry's name then its link target, back to back; `ends` has both ends per entry. */
  private readonly bytes: Buffer;
  private readonly ends: Uint32Array;
  private readonly types: Uint8Array;
  private readonly modes: Uint16Array;
  /** uid and gid per entry. */
  private readonly owners: Uint32Array;
  /** mtime, atime and ctime per entry, in ns. */
  private readonly times: BigInt64Array;
  private readonly numbers: Float64Array;
  /** 32-byte blob ids: a file's chunks, a directory's subtree. `idEnds[i]` ends entry i's ids. */
  private readonly ids: Buffer;
  private readonly idEnds: Uint32Array;
  /** Plaintext size of each chunk (0 for a subtree). */
  private readonly chunkSizes: Float64Array;
  /** Extended attributes of the entries that have any (rare). */
  private readonly xattrList: ReadonlyMap<number, NonNullable<Node['xattrs']>>;

  private constructor(nodes: readonly Node[]) {
    const n = nodes.length;
    let byteCount = 0;
    let idCount = 0;
    for (const node of nodes) {
      byteCount += node.name.length + (node.linkTarget?.length ?? 0);
      idCount += (node.content?.length ?? 0) + (node.subtree === undefined ? 0 : 1);
    }
    this.length = n;
    this.bytes = Buffer.allocUnsafe(byteCount);
    this.ends = new Uint32Array(2 * n);
    this.types = new Uint8Array(n);
    this.modes = new Uint16Array(n);
    this.owners = new Uint32Array(2 * n);
    this.times = new BigInt64Array(3 * n);
    this.numbers = new Float64Array(NUMBERS * n);
    this.ids = Buffer.allocUnsafe(idCount * ID_BYTES);
    this.idEnds = new Uint32Array(n);
    this.chunkSizes = new Float64Array(idCount);
    const xattrs = new Map<number, NonNullable<Node['xattrs']>>();
    let at = 0;
    let id = 0;
    nodes.forEach((node, i) => {
      at += node.name.copy(this.bytes, at);
      this.ends[2 * i] = at;
      if (node.linkTarget !== undefined) at += node.linkTarget.copy(this.bytes, at);
      this.ends[2 * i + 1] = at;
      this.types[i] = typeCode(node.type);
      this.modes[i] = node.mode;
      this.owners[2 * i] = node.uid;
      this.owners[2 * i + 1] = node.gid;
      this.times[3 * i] = node.mtimeNs;
      this.times[3 * i + 1] = node.atimeNs;
      this.times[3 * i + 2] = node.ctimeNs;
      const to = NUMBERS * i;
      this.numbers[to + SIZE] = node.size;
      this.numbers[to + ALLOCATED] = node.allocated;
      this.numbers[to + DEVICE] = node.device;
      this.numbers[to + INODE] = node.inode;
      this.numbers[to + LINKS] = node.links;
      this.numbers[to + RDEV] = node.rdev ?? 0;
      node.content?.forEach((blob, k) => {
        this.ids.write(blob, id * ID_BYTES, 'hex');
        this.chunkSizes[id++] = node.sizes?.[k] ?? 0;
      });
      if (node.subtree !== undefined) this.ids.write(node.subtree, id++ * ID_BYTES, 'hex');
      this.idEnds[i] = id;
      if (node.xattrs !== undefined && node.xattrs.length > 0) xattrs.set(i, node.xattrs);
    });
    this.xattrList = xattrs;
  }

  /** The listing of `nodes` (sorted by name bytes, as trees are). */
  static from(nodes: readonly Node[]): DirListing {
    return new DirListing(nodes);
  }

  /** Bytes of the arrays behind the listing. */
  get byteLength(): number {
    return (
      this.bytes.length +
      this.ends.byteLength +
      this.types.byteLength +
      this.modes.byteLength +
      this.owners.byteLength +
      this.times.byteLength +
      this.numbers.byteLength +
      this.ids.length +
      this.idEnds.byteLength +
      this.chunkSizes.byteLength
    );
  }

  /** Entry `i`'s name (a view). */
  name(i: number): Buffer {
    return this.bytes.subarray(this.nameStart(i), this.ends[2 * i]);
  }

  /** Position of the entry named `name` (binary search over the sorted names), or -1. */
  find(name: Uint8Array): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.bytes.compare(name, 0, name.length, this.nameStart(mid), this.ends[2 * mid]);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  type(i: number): NodeType {
    return TYPE_CODES[this.types[i] as number] as NodeType;
  }

  isDir(i: number): boolean {
    return this.types[i] === DIR;
  }

  /** The file type and permission bits, as st_mode. */
  modeBits(i: number): number {
    return modeBitsOf(this.type(i)) | ((this.modes[i] as number) & 0o7777);
  }

  size(i: number): number {
    return this.numbers[NUMBERS * i + SIZE] as number;
  }

  attr(i: number, ino: number): Attr {
    const at = NUMBERS * i;
    return {
      ino,
      mode: this.modeBits(i),
      nlink: Math.max(1, this.numbers[at + LINKS] as number),
      uid: this.owners[2 * i] as number,
      gid: this.owners[2 * i + 1] as number,
      rdev: this.numbers[at + RDEV] as number,
      size: this.types[i] === SYMLINK ? this.linkTarget(i).length : (this.numbers[at + SIZE] as number),
      blocks: Math.ceil((this.numbers[at + ALLOCATED] as number) / 512),
      atimeNs: this.times[3 * i + 1] as bigint,
      mtimeNs: this.times[3 * i] as bigint,
      ctimeNs: this.times[3 * i + 2] as bigint,
    };
  }

  /** A symlink's target (empty for other entries). */
  linkTarget(i: number): Buffer {
    return this.bytes.subarray(this.ends[2 * i], this.ends[2 * i + 1]);
  }

  xattrs(i: number): Node['xattrs'] {
    return this.xattrList.get(i);
  }

  /** A directory's tree. */
  subtree(i: number): BlobId | undefined {
    return this.isDir(i) && this.idCount(i) > 0 ? this.id(this.idStart(i)) : undefined;
  }

  /** Whether entry `i` may share its inode with entries elsewhere (a file or other non-directory with several links). */
  sharesInode(i: number): boolean {
    return !this.isDir(i) && (this.numbers[NUMBERS * i + LINKS] as number) > 1;
  }

  /** The blob holding all of a file's bytes, for a file stored in one. */
  wholeBlob(i: number): BlobId | undefined {
    return this.types[i] === FILE && this.idCount(i) === 1 ? this.id(this.idStart(i)) : undefined;
  }

  /** The key of wholeBlob(i) (blobKeyOf), read from the id's bytes; NO_BLOB for other entries. */
  wholeBlobKey(i: number): number {
    return this.types[i] === FILE && this.idCount(i) === 1 ? blobKeyAt(this.ids, this.idStart(i) * ID_BYTES) : NO_BLOB;
  }

  /** A file's first chunk and its size. */
  firstChunk(i: number): { readonly id: BlobId; readonly size: number; readonly whole: boolean } | undefined {
    if (this.types[i] !== FILE || this.idCount(i) === 0) return undefined;
    const k = this.idStart(i);
    return { id: this.id(k), size: this.chunkSizes[k] as number, whole: this.idCount(i) === 1 };
  }

  chunks(i: number): FileChunks {
    if (this.types[i] !== FILE || this.idCount(i) === 0) return {};
    const content: BlobId[] = [];
    const sizes: number[] = [];
    for (let k = this.idStart(i); k < (this.idEnds[i] as number); k++) {
      content.push(this.id(k));
      sizes.push(this.chunkSizes[k] as number);
    }
    return { content, sizes };
  }

  /** Entry `i` as a whole node (the owner names, which the mount never serves, are left out). */
  node(i: number): Node {
    const at = NUMBERS * i;
    const type = this.type(i);
    const node: { -readonly [K in keyof Node]: Node[K] } = {
      name: Buffer.from(this.name(i)),
      type,
      mode: this.modes[i] as number,
      uid: this.owners[2 * i] as number,
      gid: this.owners[2 * i + 1] as number,
      mtimeNs: this.times[3 * i] as bigint,
      atimeNs: this.times[3 * i + 1] as bigint,
      ctimeNs: this.times[3 * i + 2] as bigint,
      size: this.numbers[at + SIZE] as number,
      allocated: this.numbers[at + ALLOCATED] as number,
      device: this.numbers[at + DEVICE] as number,
      inode: this.numbers[at + INODE] as number,
      links: this.numbers[at + LINKS] as number,
      ...this.chunks(i),
    };
    if (type === 'chardev' || type === 'blockdev') node.rdev = this.numbers[at + RDEV] as number;
    if (type === 'symlink') node.linkTarget = Buffer.from(this.linkTarget(i));
    const xattrs = this.xattrs(i);
    if (xattrs !== undefined) node.xattrs = xattrs;
    const subtree = this.subtree(i);
    if (subtree !== undefined) node.subtree = subtree;
    return node;
  }

  private nameStart(i: number): number {
    return i === 0 ? 0 : (this.ends[2 * i - 1] as number);
  }

  private idStart(i: number): number {
    return i === 0 ? 0 : (this.idEnds[i - 1] as number);
  }

  private idCount(i: number): number {
    return (this.idEnds[i] as number) - this.idStart(i);
  }

  private id(k: number): BlobId {
    return this.ids.toString('hex', k * ID_BYTES, (k + 1) * ID_BYTES) as BlobId;
  }
}
