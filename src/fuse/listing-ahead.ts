/**
 * The next part of directory listings, encoded while the kernel and the lister handle the part
 * before. A recursive `ls -l` spends about as long on each part as the mount takes to encode it;
 * encoded in turn, each waited for the other. A part serves only the request it was made for: the
 * same directory node, tree, offset, reply size and kind (READDIR or READDIRPLUS). It holds no
 * nodes: those are held when it is sent, as for a part encoded on request. The parts kept are
 * bounded in number and in bytes (a reply may be as large as the kernel's 1 MiB requests).
 */
import type { BlobId } from '../core/ids.js';
import type { DirentWriter } from './kernel/wire.js';

export interface ListingPart {
  readonly tree: BlobId;
  readonly offset: number;
  readonly out: DirentWriter;
  /** The offset after the last entry in `out`. */
  readonly end: number;
}

/** Directories listed at the same time whose next part is kept, and the bytes of their replies. */
const DEFAULT_PARTS = 16;
const DEFAULT_BYTES = 2 * 1024 * 1024;

export class ListingAhead {
  /** By directory node, least recently put first. */
  private readonly parts = new Map<number, ListingPart>();
  private bytes = 0;

  constructor(
    private readonly maxParts = DEFAULT_PARTS,
    private readonly maxBytes = DEFAULT_BYTES,
  ) {}

  /** How many parts are kept (for tests). */
  get size(): number {
    return this.parts.size;
  }

  /** The part encoded for this request, if one was; any other part of the directory is dropped. */
  take(ino: number, tree: BlobId, offset: number, size: number, plus: boolean): ListingPart | undefined {
    const part = this.remove(ino);
    if (part === undefined) return undefined;
    const fits = part.tree === tree && part.offset === offset && part.out.buf.length === size && part.out.plus === plus;
    return fits ? part : undefined;
  }

  put(ino: number, part: ListingPart): void {
    this.remove(ino);
    this.parts.set(ino, part);
    this.bytes += part.out.buf.length;
    while (this.parts.size > this.maxParts || this.bytes > this.maxBytes) this.remove(this.parts.keys().next().value as number);
  }

  private remove(ino: number): ListingPart | undefined {
    const part = this.parts.get(ino);
    if (part === undefined) return undefined;
    this.parts.delete(ino);
    this.bytes -= part.out.buf.length;
    return part;
  }
}
