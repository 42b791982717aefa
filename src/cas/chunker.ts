/** FastCDC content-defined chunking with a keyed 32-bit gear hash (FORMAT §8): pure cut points and a streaming chunker. */
import { concatBytes } from '../backend/collect.js';
import { addon } from '../core/addon.js';
import { invalidArgument } from '../core/errors.js';
import { KiB, MiB } from '../core/sizes.js';

/** The addon's boundary search (src/native/rozen_native.c), bit for bit FORMAT §8. */
type GearScan = (buf: Uint8Array, start: number, end: number, state: Int32Array, params: Int32Array, gear: Int32Array) => number;
/** The same for a whole buffer on the libuv pool (src/native/gear_cuts.c): writes every cut into `cuts`, resolves with their count. */
type GearCuts = (buf: Uint8Array, state: Int32Array, params: Int32Array, gear: Int32Array, cuts: Int32Array) => Promise<number>;

export interface ChunkerParams {
  readonly min: number;
  /** A power of two. */
  readonly avg: number;
  readonly max: number;
}

export const DEFAULT_CHUNKER_PARAMS: ChunkerParams = { min: 512 * KiB, avg: MiB, max: 8 * MiB };

const MAX_CHUNK = 2 ** 30;

/** Params, masks and the gear table as the native scan wants them. */
interface Prepared {
  /** Same bits as the Uint32Array table. */
  readonly gear: Int32Array;
  /** [min, avg, max, maskS, maskL]. */
  readonly packed: Int32Array;
}

export function validateChunkerParams(p: ChunkerParams): void {
  const ints = [p.min, p.avg, p.max].every((n) => Number.isSafeInteger(n));
  const pow2 = p.avg >= 4 && (p.avg & (p.avg - 1)) === 0;
  if (!ints || !pow2 || p.min < 1 || p.min > p.avg || p.avg > p.max || p.max > MAX_CHUNK) {
    throw invalidArgument(`invalid chunker parameters min=${p.min} avg=${p.avg} max=${p.max}`);
  }
}

/** A 32-bit mask with the `bits` most significant bits set. */
const highBits = (bits: number): number => (bits === 0 ? 0 : (-1 << (32 - bits)) | 0);

function prepare(params: ChunkerParams, gear: Uint32Array): Prepared {
  validateChunkerParams(params);
  if (gear.length !== 256) throw invalidArgument('gear table must have 256 entries');
  const b = Math.log2(params.avg);
  return {
    gear: new Int32Array(gear.buffer, gear.byteOffset, 256),
    packed: Int32Array.of(params.min, params.avg, params.max, highBits(b + 2), highBits(b - 2)),
  };
}

let gearScan: GearScan | undefined;
let gearCuts: GearCuts | undefined;

/**
 * Continues the chunk described by `st` ([hash, length so far], updated by the addon) over
 * buf[start, end). Returns the index just after the boundary (and resets `st`), or -1 when the
 * range holds none.
 */
function scan(buf: Uint8Array, start: number, end: number, st: Int32Array, c: Prepared): number {
  gearScan ??= (addon() as { gearScan: GearScan }).gearScan;
  return gearScan(buf, start, end, st, c.packed, c.gear);
}

/**
 * End (exclusive) of the chunk that starts at `start`, treating `end` as the end of the stream:
 * a value in (start, end], or `start` when the range is empty.
 */
export function cutPoint(buf: Uint8Array, start: number, end: number, params: ChunkerParams, gear: Uint32Array): number {
  if (start >= end) return start;
  const cut = scan(buf, start, end, new Int32Array(2), prepare(params, gear));
  return cut < 0 ? end : cut;
}

/**
 * Streaming chunker. Emitted chunks may be views of the pushed buffers (no copy when a chunk lies
 * inside one buffer), so a caller must not modify a buffer after pushing it.
 */
export class Chunker {
  readonly #c: Prepared;
  readonly #st = new Int32Array(2);
  #pending: Uint8Array[] = [];
  #pendingLen = 0;

  constructor(params: ChunkerParams, gear: Uint32Array) {
    this.#c = prepare(params, gear);
  }

  /** Feeds the next bytes of the stream; returns the chunks they complete, in order. */
  push(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let start = 0;
    while (start < data.length) {
      const cut = scan(data, start, data.length, this.#st, this.#c);
      if (cut < 0) {
        this.#hold(data.subarray(start));
        break;
      }
      out.push(joined(this.#complete(data.subarray(start, cut))));
      start = cut;
    }
    return out;
  }

  /** push() with the boundary search on the libuv pool: the same chunks, each joined into one buffer. */
  async pushAsync(data: Uint8Array): Promise<Uint8Array[]> {
    return (await this.cutAsync(data)).map(joined);
  }

  /**
   * The chunks `data` completes, each as its pieces in stream order: views of this and earlier pushed
   * buffers, never copied (a chunk inside one buffer is one piece). The boundary search runs on the libuv
   * pool; `data` and this chunker are not to be touched until it settles.
   */
  async cutAsync(data: Uint8Array): Promise<Uint8Array[][]> {
    gearCuts ??= (addon() as { gearCuts: GearCuts }).gearCuts;
    const cuts = new Int32Array(Math.floor(data.length / this.#c.packed[0]!) + 1);
    const n = await gearCuts(data, this.#st, this.#c.packed, this.#c.gear, cuts);
    const out: Uint8Array[][] = [];
    let start = 0;
    for (let i = 0; i < n; i++) {
      out.push(this.#complete(data.subarray(start, cuts[i])));
      start = cuts[i]!;
    }
    if (start < data.length) this.#hold(data.subarray(start));
    return out;
  }

  /** Ends the stream: returns the last (possibly short) chunk, or undefined when nothing is left. */
  finish(): Uint8Array | undefined {
    const last = this.finishPieces();
    return last && joined(last);
  }

  /** finish() giving the last chunk as its pieces. */
  finishPieces(): Uint8Array[] | undefined {
    this.#st.fill(0);
    return this.#pendingLen === 0 ? undefined : this.#take();
  }

  #hold(piece: Uint8Array): void {
    this.#pending.push(piece);
    this.#pendingLen += piece.length;
  }

  #complete(tail: Uint8Array): Uint8Array[] {
    if (this.#pendingLen === 0) return [tail];
    this.#hold(tail);
    return this.#take();
  }

  #take(): Uint8Array[] {
    const pieces = this.#pending;
    this.#pending = [];
    this.#pendingLen = 0;
    return pieces;
  }
}

/** A chunk's pieces as one buffer (the piece itself when there is one). */
function joined(pieces: readonly Uint8Array[]): Uint8Array {
  return pieces.length === 1 ? pieces[0]! : concatBytes(pieces);
}

/** Chunks an async byte stream (e.g. a file read stream). */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array>,
  params: ChunkerParams,
  gear: Uint32Array,
): AsyncGenerator<Uint8Array> {
  const chunker = new Chunker(params, gear);
  for await (const data of source) yield* chunker.push(data);
  const last = chunker.finish();
  if (last !== undefined) yield last;
}
