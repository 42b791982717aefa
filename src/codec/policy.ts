/** Adaptive compression decisions: per file kind, is zstd worth its time? (docs/DESIGN.md, "Compression"). */
import { compressBound, compressInto } from './zstd.js';
import { MiB } from '../core/sizes.js';

export type CompressionMode = 'off' | 'auto' | 'max';

/** Bytes in and out per kind; `skipped` counts blobs the policy chose not to compress. */
export interface Figures {
  raw: number;
  stored: number;
  blobs: number;
  skipped: number;
}

export interface CompressionPolicyOptions {
  /** zstd level in 'auto' mode. */
  readonly level?: number;
  /** zstd level in 'max' mode. */
  readonly maxLevel?: number;
  /** How much of a blob's head a probe compresses. */
  readonly probeBytes?: number;
  /** Compress only when it saves at least this fraction. */
  readonly minGain?: number;
  /** A kind is judged by its record once this many bytes or blobs were compressed. */
  readonly evidenceBytes?: number;
  readonly evidenceBlobs?: number;
  /** A kind being skipped is probed again every this many blobs, so an early wrong verdict heals. */
  readonly reprobeEvery?: number;
}

const DEFAULTS: Required<CompressionPolicyOptions> = {
  level: 3,
  maxLevel: 19,
  probeBytes: 64 * 1024,
  minGain: 0.05,
  evidenceBytes: MiB,
  evidenceBlobs: 4,
  reprobeEvery: 64,
};
const PROBE_LEVEL = 1;
/** Past this much evidence, old evidence is halved, so the verdict follows what a kind is now. */
const EVIDENCE_WINDOW = 64 * MiB;

interface Kind {
  readonly figures: Figures;
  /** Bytes in and out of zstd: probes, and blobs that were given to it. */
  triedRaw: number;
  triedStored: number;
  triedBlobs: number;
  skipsSinceProbe: number;
  /** Blobs decide() skipped whose record() has not come yet. */
  pendingSkips: number;
}

export class CompressionPolicy {
  readonly #mode: CompressionMode;
  readonly #opts: Required<CompressionPolicyOptions>;
  readonly #kinds = new Map<string, Kind>();
  #scratch: Uint8Array | undefined;

  constructor(mode: CompressionMode, opts: CompressionPolicyOptions = {}) {
    this.#mode = mode;
    this.#opts = { ...DEFAULTS, ...opts };
  }

  /** The zstd level for a blob of kind `ext` starting with `head`, or false to store it raw. */
  decide(ext: string, head: Uint8Array): false | number {
    const kind = this.#kind(ext);
    if (this.#mode === 'max') return this.#opts.maxLevel;
    if (this.#mode === 'auto' && (mostlyZeros(head) || this.#worthIt(kind, head))) return this.#opts.level;
    kind.figures.skipped++;
    kind.pendingSkips++;
    return false;
  }

  /**
   * The decision when the kind's record settles it without looking at the data, or 'try' when
   * the data itself must be tried: the caller (the sealing job, which has the bytes) compresses it at
   * `tryLevel` and reports the outcome with record(…, attempted = true).
   */
  decideBlind(ext: string): false | number | 'try' {
    const kind = this.#kind(ext);
    if (this.#mode === 'max') return this.#opts.maxLevel;
    if (this.#mode === 'auto') {
      const { evidenceBytes, evidenceBlobs, reprobeEvery } = this.#opts;
      if (kind.triedRaw < evidenceBytes && kind.triedBlobs < evidenceBlobs) return 'try';
      if (this.#pays(kind.triedRaw, kind.triedStored)) return this.#opts.level;
      if (++kind.skipsSinceProbe >= reprobeEvery) {
        kind.skipsSinceProbe = 0;
        return 'try';
      }
    }
    kind.figures.skipped++;
    kind.pendingSkips++;
    return false;
  }

  /** zstd level used for blobs that are compressed in 'auto' mode (and for 'try'); false when compression is off. */
  get tryLevel(): number | false {
    return this.#mode === 'off' ? false : this.#opts.level;
  }

  /**
   * Account for one stored blob: its plaintext length and its frame length (encodeFrame's output).
   * Only blobs that decide() let zstd try are evidence. `attempted` says whether it did; when
   * omitted, a raw frame stands for one of the blobs decide() skipped (all raw frames look alike).
   */
  record(ext: string, rawBytes: number, storedBytes: number, attempted?: boolean): void {
    const kind = this.#kind(ext);
    kind.figures.raw += rawBytes;
    kind.figures.stored += storedBytes;
    kind.figures.blobs++;
    const skipped = attempted === undefined ? kind.pendingSkips > 0 && storedBytes === rawBytes + 1 : !attempted;
    if (skipped) kind.pendingSkips = Math.max(0, kind.pendingSkips - 1);
    else addEvidence(kind, rawBytes, storedBytes);
  }

  /** Figures per kind, copied. */
  figures(): Record<string, Figures> {
    const out: Record<string, Figures> = {};
    for (const [ext, kind] of this.#kinds) out[ext] = { ...kind.figures };
    return out;
  }

  #kind(ext: string): Kind {
    const key = ext.toLowerCase().replace(/^\./, '');
    let kind = this.#kinds.get(key);
    if (kind === undefined) {
      kind = newKind();
      this.#kinds.set(key, kind);
    }
    return kind;
  }

  #worthIt(kind: Kind, head: Uint8Array): boolean {
    const { evidenceBytes, evidenceBlobs, reprobeEvery } = this.#opts;
    if (head.length === 0) return false;
    if (kind.triedRaw < evidenceBytes && kind.triedBlobs < evidenceBlobs) {
      const [raw, stored] = this.#probe(head);
      addEvidence(kind, raw, stored);
      return this.#pays(raw, stored);
    }
    if (this.#pays(kind.triedRaw, kind.triedStored)) return true;
    if (++kind.skipsSinceProbe < reprobeEvery) return false;
    kind.skipsSinceProbe = 0;
    const [raw, stored] = this.#probe(head);
    if (!this.#pays(raw, stored)) return false;
    scaleEvidence(kind, 0);
    addEvidence(kind, raw, stored);
    return true;
  }

  #pays(raw: number, stored: number): boolean {
    return raw > 0 && stored <= raw * (1 - this.#opts.minGain);
  }

  /** Sizes in and out of zstd at a fast level over the first probeBytes of `head`. */
  #probe(head: Uint8Array): [raw: number, stored: number] {
    const sample = head.subarray(0, this.#opts.probeBytes);
    this.#scratch ??= new Uint8Array(compressBound(this.#opts.probeBytes));
    return [sample.length, compressInto(this.#scratch, sample, PROBE_LEVEL)];
  }
}

function newKind(): Kind {
  const figures = { raw: 0, stored: 0, blobs: 0, skipped: 0 };
  return { figures, triedRaw: 0, triedStored: 0, triedBlobs: 0, skipsSinceProbe: 0, pendingSkips: 0 };
}

function addEvidence(kind: Kind, raw: number, stored: number): void {
  kind.triedRaw += raw;
  kind.triedStored += stored;
  kind.triedBlobs++;
  if (kind.triedRaw > EVIDENCE_WINDOW) scaleEvidence(kind, 0.5);
}

function scaleEvidence(kind: Kind, factor: number): void {
  kind.triedRaw *= factor;
  kind.triedStored *= factor;
  kind.triedBlobs = Math.floor(kind.triedBlobs * factor);
}

/**
 * A sample with long zero runs (holes of a disk image, padding) compresses whatever its kind's
 * record says, and zstd is at its fastest on it: such blobs are always compressed in 'auto'.
 */
export function mostlyZeros(sample: Uint8Array): boolean {
  let zeros = 0;
  for (let i = 0; i < sample.length; i += 64) if (sample[i] === 0 && sample[i + 63] === 0) zeros++;
  return sample.length >= 4096 && zeros * 64 * 4 >= sample.length;
}
