/**
 * A tree blob's entries found without decoding them (docs/FORMAT.md §9.2): where each entry and its name lie in
 * the bytes. Copy takes the entries of a directory that did not change as they are (docs/DESIGN.md, "Copy"). The
 * header, the msgpack structure, one name per entry and the order of the names are checked here; an entry's values
 * only when it is decoded.
 */
import { MsgReader } from '../../codec/msgpack-reader.js';
import { corrupt } from '../../core/errors.js';
import { compareRanges } from '../../core/bytes.js';
import type { Node } from '../node.js';
import { decodeEntry, decodeTop, type EncodedEntries } from './tree-codec.js';

/** The map key `n` as MsgReader.shortKey reads it. */
const NAME_KEY = 0x6e;

/** A tree blob's bytes and where each entry starts: entries compared and decoded one by one. */
export class TreeEntries implements EncodedEntries {
  readonly bytes: Buffer;
  readonly count: number;
  #reader: MsgReader | undefined;

  /** Entry i is `bytes[starts[i], starts[i + 1])`; `starts` as encodeEntries or TreeSpans found them. */
  constructor(
    bytes: Uint8Array,
    readonly starts: Uint32Array,
  ) {
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.count = starts.length - 1;
  }

  start(i: number): number {
    return at(this.starts, i);
  }

  /** Whether entry i and entry j of `other` are the same bytes. */
  sameEntry(i: number, other: TreeEntries, j: number): boolean {
    const from = this.start(i);
    const to = this.start(i + 1);
    const oFrom = other.start(j);
    const oTo = other.start(j + 1);
    return to - from === oTo - oFrom && this.bytes.compare(other.bytes, oFrom, oTo, from, to) === 0;
  }

  /** Entry i as a node, checked as decodeTree checks each entry. */
  decode(i: number): Node {
    this.#reader ??= new MsgReader(this.bytes, (what) => corrupt(what));
    const r = this.#reader;
    r.seek(this.start(i));
    const node = decodeEntry(r);
    if (r.offset !== this.start(i + 1)) throw corrupt('tree entry (length)');
    return node;
  }
}

/** A tree blob's entries and names found in its bytes. */
export class TreeSpans extends TreeEntries {
  /** Entry i's name is `bytes[names[2i], names[2i + 1])`. */
  readonly #names: Uint32Array;

  /** Finds the entries of tree blob `bytes`; corrupt when its structure or its names' order is wrong. */
  constructor(bytes: Uint8Array) {
    let starts = new Uint32Array(1);
    let names = new Uint32Array(0);
    decodeTop(bytes, (r) => {
      const count = r.arrayHeader('tree blob (entries)');
      starts = new Uint32Array(count + 1);
      names = new Uint32Array(2 * count);
      for (let i = 0; i < count; i++) {
        starts[i] = r.offset;
        readName(r, names, i);
        if (i > 0 && compareRanges(bytes, at(names, 2 * i - 2), at(names, 2 * i - 1), bytes, at(names, 2 * i), at(names, 2 * i + 1)) >= 0) {
          throw corrupt('tree entries not sorted strictly by name bytes');
        }
      }
      starts[count] = r.offset;
      return count;
    });
    super(bytes, starts);
    this.#names = names;
  }

  /** compareBytes of entry i's name and entry j's name of `other`. */
  compareName(i: number, other: TreeSpans, j: number): number {
    const a = this.#names;
    const b = other.#names;
    return compareRanges(this.bytes, at(a, 2 * i), at(a, 2 * i + 1), other.bytes, at(b, 2 * j), at(b, 2 * j + 1));
  }
}

/** `a[k]` for an index known to be in range. */
const at = (a: Uint32Array, k: number): number => a[k] as number;

/** Moves `r` past one entry, keeping where its name lies; an entry without a name, or with two, is corrupt. */
function readName(r: MsgReader, names: Uint32Array, i: number): void {
  const keys = r.mapHeader('tree entry');
  let named = false;
  for (let k = 0; k < keys; k++) {
    if (r.shortKey('tree entry') !== NAME_KEY) {
      r.skipValue('tree entry');
      continue;
    }
    if (named) throw corrupt('tree entry (duplicate key)');
    named = true;
    const len = r.skipBin('tree entry (n)');
    names[2 * i] = r.offset - len;
    names[2 * i + 1] = r.offset;
  }
  if (!named) throw corrupt('tree entry (missing n)');
}
