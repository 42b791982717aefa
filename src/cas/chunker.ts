/** FastCDC content-defined chunking with a keyed 32-bit gear hash (FORMAT §8): pure cut points and a streaming chunker. */
import { invalidArgument } from '../core/errors.js';

export interface ChunkerParams {
  readonly min: number;
  /** A power of two. */
  readonly avg: number;
  readonly max: number;
}

export const DEFAULT_CHUNKER_PARAMS: ChunkerParams = { min: 512 * 1024, avg: 2 * 1024 * 1024, max: 8 * 1024 * 1024 };

const MAX_CHUNK = 2 ** 30;

/** Params, masks and the gear table as the scanning loop wants them. */
interface Prepared {
  readonly min: number;
  readonly avg: number;
  readonly max: number;
  readonly maskS: number;
  readonly maskL: number;
  /** Same bits as the Uint32Array table; signed values keep V8 on small-integer arithmetic. */
  readonly gear: Int32Array;
}

/** Hash and length of the chunk being scanned. */
interface ScanState {
  h: number;
  len: number;
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
    min: params.min,
    avg: params.avg,
    max: params.max,
    maskS: highBits(b + 2),
    maskL: highBits(b - 2),
    gear: new Int32Array(gear.buffer, gear.byteOffset, 256),
  };
}

/**
 * Continues the chunk described by `st` over buf[start, end). Returns the index just after the
 * boundary (and resets `st`), or -1 when the range holds none (and advances `st`).
 * The byte at index i has chunk position base + i + 1.
 */
function scan(buf: Uint8Array, start: number, end: number, st: ScanState, c: Prepared): number {
  const base = st.len - start;
  let i = Math.max(start, c.min - 1 - base);
  const stopS = Math.min(end, c.avg - 1 - base);
  if (i < stopS) {
    const cut = hashUntil(buf, i, stopS, c.maskS, c.gear, st);
    if (cut >= 0) return cut;
    i = stopS;
  }
  const stopL = Math.min(end, c.max - base);
  if (i < stopL) {
    const cut = hashUntil(buf, i, stopL, c.maskL, c.gear, st);
    if (cut >= 0) return cut;
    i = stopL;
  }
  if (base + i === c.max) return reset(st, i);
  st.len = base + end;
  return -1;
}

/**
 * Hashes buf[i, stop) into st.h until (h & mask) == 0; returns the index after that byte (resetting
 * `st`) or -1. Unrolled by four because that is ~1.7x faster in V8.
 */
function hashUntil(buf: Uint8Array, i: number, stop: number, mask: number, gear: Int32Array, st: ScanState): number {
  let h = st.h;
  for (const stop4 = stop - 3; i < stop4; i += 4) {
    h = ((h << 1) + gear[buf[i]!]!) | 0;
    if ((h & mask) === 0) return reset(st, i + 1);
    h = ((h << 1) + gear[buf[i + 1]!]!) | 0;
    if ((h & mask) === 0) return reset(st, i + 2);
    h = ((h << 1) + gear[buf[i + 2]!]!) | 0;
    if ((h & mask) === 0) return reset(st, i + 3);
    h = ((h << 1) + gear[buf[i + 3]!]!) | 0;
    if ((h & mask) === 0) return reset(st, i + 4);
  }
  for (; i < stop; i++) {
    h = ((h << 1) + gear[buf[i]!]!) | 0;
    if ((h & mask) === 0) return reset(st, i + 1);
  }
  st.h = h;
  return -1;
}

function reset(st: ScanState, cut: number): number {
  st.h = 0;
  st.len = 0;
  return cut;
}

/**
 * End (exclusive) of the chunk that starts at `start`, treating `end` as the end of the stream:
 * a value in (start, end], or `start` when the range is empty.
 */
export function cutPoint(buf: Uint8Array, start: number, end: number, params: ChunkerParams, gear: Uint32Array): number {
  if (start >= end) return start;
  const cut = scan(buf, start, end, { h: 0, len: 0 }, prepare(params, gear));
  return cut < 0 ? end : cut;
}

function concat(pieces: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Streaming chunker. Emitted chunks may be views of the pushed buffers (no copy when a chunk lies
 * inside one buffer), so a caller must not modify a buffer after pushing it.
 */
export class Chunker {
  readonly #c: Prepared;
  readonly #st: ScanState = { h: 0, len: 0 };
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
      out.push(this.#complete(data.subarray(start, cut)));
      start = cut;
    }
    return out;
  }

  /** Ends the stream: returns the last (possibly short) chunk, or undefined when nothing is left. */
  finish(): Uint8Array | undefined {
    reset(this.#st, 0);
    return this.#pendingLen === 0 ? undefined : this.#drain();
  }

  #hold(piece: Uint8Array): void {
    this.#pending.push(piece);
    this.#pendingLen += piece.length;
  }

  #complete(tail: Uint8Array): Uint8Array {
    if (this.#pendingLen === 0) return tail;
    this.#hold(tail);
    return this.#drain();
  }

  #drain(): Uint8Array {
    const all = concat(this.#pending, this.#pendingLen);
    this.#pending = [];
    this.#pendingLen = 0;
    return all;
  }
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
