/**
 * One file's content re-stored in another repository: read from the source (authenticated and re-hashed there),
 * hashed with the destination's keys, and sealed and written only where the destination lacks a blob. A source blob
 * that stays one blob keeps its stored frame (re-sealed, not compressed again); others are cut and sealed anew.
 */
import { Chunker } from '../cas/chunker.js';
import type { RozenError } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';
import { BlobType, type BlobLocation } from '../core/types.js';
import type { BlobPool } from '../repo/blob-pool.js';
import type { BlobSaver } from '../repo/blob-saver.js';
import { mostlyZeros } from '../codec/policy.js';
import { KiB } from '../core/sizes.js';
import { byteLength } from '../repo/native-seal.js';
import { inPack, type Repository } from '../repo/repository.js';
import type { ResealInput, Resealed } from '../repo/native-reseal.js';
import type { Content } from './copy-content-types.js';
import { resumePoint, type LargeCopy } from './copy-resume.js';
import { Ahead } from './copy-ahead.js';

export type { Content } from './copy-content-types.js';

/** What a copy counts while it runs. */
export interface CopyCounters {
  files: number;
  bytesRead: number;
  blobsWritten: number;
  bytesWritten: number;
}

/** Seal overhead (40) and frame byte (1): a blob stored raw is this much longer than its plaintext. */
const RAW_OVERHEAD = 41;
const LEVEL = 3;
/** Blobs of a large file re-sealed ahead of the one being stored: the file's blobs go to its pack in order, one at a time. */
const KEPT_AHEAD = 4;
/** Bytes of a chunk's start looked at for zeros. */
const ZEROS_SAMPLE = 64 * KiB;

export interface ContentDeps {
  readonly src: Repository;
  readonly dst: Repository;
  readonly saver: BlobSaver;
  /** Hashing and sealing with the destination's keys. */
  readonly pool: BlobPool;
  /** A source blob's plaintext, authenticated and checked against its id. */
  readonly read: (id: BlobId, loc: BlobLocation) => Promise<Uint8Array>;
  /** A source blob's sealed bytes, through the same pack cache as `read`. */
  readonly readSealed: (loc: BlobLocation) => Promise<Uint8Array>;
  /**
   * A source blob opened and checked, and its frame sealed for the destination, or why it did not open
   * (native-reseal.ts): small files' blobs and large files' chunks batched apart, since the blobs of a batch are
   * views of one buffer, and a small file's blob waiting in an open pack would keep the chunks' bytes with it.
   */
  readonly reseal: { readonly file: Reseal; readonly chunk: Reseal };
  readonly counters: CopyCounters;
  /** Cut large files again with the destination's chunker instead of keeping the source's blobs as chunks. */
  readonly rechunk?: boolean;
  /** Checked before each source blob is read, so an interrupt stops a large file midway. */
  readonly signal?: AbortSignal | undefined;
}

type Reseal = (blob: ResealInput) => Promise<Resealed | RozenError>;

export class ContentCopier {
  /** Large files go one at a time: the destination has one open degenerate pack. */
  #largeTurn: Promise<unknown> = Promise.resolve();
  /** The last large file copied, by its first source blob: where the next version of it can resume. */
  readonly #lastLarge = new Map<BlobId, LargeCopy>();

  constructor(private readonly d: ContentDeps) {}

  /**
   * `ids` (with plaintext sizes `sizes`) of the source, as the destination stores them; `known` maps source blobs
   * to destination blobs an earlier copy made of the same bytes (copy-base.ts), which are not read again.
   */
  async copy(ids: readonly BlobId[], sizes: readonly number[], known?: ReadonlyMap<BlobId, BlobId>): Promise<Content> {
    const cfg = this.d.dst.config;
    if (sizes.reduce((a, b) => a + b, 0) < cfg.largeFile) {
      this.d.counters.files++;
      return this.#small(ids);
    }
    const recut = this.d.rechunk === true || sizes.some((s) => s > cfg.chunkMax);
    const turn = this.#largeTurn.then(() => (recut ? this.#large(ids) : this.#kept(ids, sizes, known)));
    this.#largeTurn = turn.catch(() => undefined);
    return turn;
  }

  /** A file below the destination's large-file size: one blob, as a backup would store it. */
  async #small(ids: readonly BlobId[]): Promise<Content> {
    if (ids.length === 1) {
      const r = await this.#resealed(ids[0]!, this.d.reseal.file);
      if (await this.#claim(r.id)) {
        await this.d.saver.saveSmall(BlobType.data, r.id, r.sealed, r.rawLength);
        this.#wrote(r.sealed.length);
      }
      return { content: [r.id], sizes: [r.rawLength] };
    }
    const parts: Uint8Array[] = [];
    let raw = false;
    for (const id of ids) {
      const { bytes, stored } = await this.#read(id);
      parts.push(bytes);
      raw ||= stored;
    }
    // Given as its pieces: the addon hashes and seals them in order without a joined copy.
    const id = await this.d.pool.hash(parts);
    if (await this.#claim(id)) {
      const s = await this.d.pool.seal({ data: parts, id, level: raw ? false : LEVEL });
      await this.d.saver.saveSmall(BlobType.data, id, s.sealed, s.rawLength);
      this.#wrote(s.sealed.length);
    }
    return { content: [id], sizes: [byteLength(parts)] };
  }

  /**
   * A large file whose source blobs become its chunks as they are: each is read (unless `known` names its copy),
   * hashed with the destination's key and stored where the destination lacks it. Unchanged blobs of a changed file
   * are not read again, as restic's copy does; later backups into the destination cut the file with its own chunker
   * and share only what an equal cut gives.
   */
  async #kept(ids: readonly BlobId[], sizes: readonly number[], known: ReadonlyMap<BlobId, BlobId> | undefined): Promise<Content> {
    const out = { content: [] as BlobId[], sizes: [] as number[] };
    const ahead = new Ahead(ids.length, KEPT_AHEAD, (i) => {
      const id = ids[i] as BlobId;
      return known?.has(id) === true ? undefined : this.#resealed(id, this.d.reseal.chunk);
    });
    let read = false;
    try {
      for (const [i, id] of ids.entries()) {
        const resealed = ahead.take(i);
        if (resealed === undefined) {
          out.content.push(known?.get(id) as BlobId);
          out.sizes.push(sizes[i] ?? 0);
          continue;
        }
        const r = await resealed;
        read = true;
        if (await this.#claim(r.id)) {
          await this.d.saver.saveChunk(r.id, r.sealed, r.rawLength);
          this.#wrote(r.sealed.length);
        }
        out.content.push(r.id);
        out.sizes.push(r.rawLength);
      }
    } finally {
      await this.d.saver.endLargeFile();
    }
    if (read) this.d.counters.files++;
    return out;
  }

  /**
   * A large file (--rechunk): its bytes cut again by the destination's chunker, whose gear table its id key makes (FORMAT §8).
   * Leading chunks shared with the last version of the file copied in this run are taken over unread (copy-resume.ts).
   */
  async #large(ids: readonly BlobId[]): Promise<Content> {
    this.d.counters.files++;
    const cfg = this.d.dst.config;
    const chunker = new Chunker({ min: cfg.chunkMin, avg: cfg.chunkAvg, max: cfg.chunkMax }, this.d.dst.gear);
    const [first] = ids;
    const prev = first === undefined ? undefined : this.#lastLarge.get(first);
    const r = resumePoint(ids, prev);
    const out = { content: prev?.dst.content.slice(0, r.chunks) ?? [], sizes: prev?.dst.sizes.slice(0, r.chunks) ?? [] };
    const lengths = [...r.lengths];
    let raw = false;
    try {
      for (const [i, id] of ids.entries()) {
        if (i < r.blob) continue;
        const { bytes, stored } = await this.#read(id);
        lengths.push(bytes.length);
        raw = stored;
        for (const pieces of await chunker.cutAsync(i === r.blob ? bytes.subarray(r.skip) : bytes)) await this.#chunk(pieces, raw, out);
      }
      const last = chunker.finishPieces();
      if (last) await this.#chunk(last, raw, out);
    } finally {
      await this.d.saver.endLargeFile();
    }
    if (first !== undefined) this.#lastLarge.set(first, { srcIds: ids, srcLengths: lengths, dst: out });
    return out;
  }

  /** A chunk of a large file, stored raw when the source blob it ends in was, unless it is mostly zeros (a disk image's holes). */
  async #chunk(pieces: readonly Uint8Array[], raw: boolean, out: { content: BlobId[]; sizes: number[] }): Promise<void> {
    const id = await this.d.pool.hash(pieces);
    const length = byteLength(pieces);
    if (await this.#claim(id)) {
      const head = pieces[0]?.subarray(0, ZEROS_SAMPLE) ?? new Uint8Array(0);
      const s = await this.d.pool.seal({ data: pieces, id, level: raw && !mostlyZeros(head) ? false : LEVEL });
      await this.d.saver.saveChunk(id, s.sealed, s.rawLength);
      this.#wrote(s.sealed.length);
    }
    out.content.push(id);
    out.sizes.push(length);
  }

  /** Whether this copy is to store blob `id`: the destination neither has it nor is writing it. */
  async #claim(id: BlobId): Promise<boolean> {
    return !(await this.d.saver.has(id)) && this.d.saver.claim(id);
  }

  /** A source blob re-sealed for the destination: its frame as stored, its id and seal the destination's. */
  async #resealed(id: BlobId, reseal: Reseal): Promise<Resealed> {
    const loc = await this.#locate(id);
    const sealed = await this.d.readSealed(loc);
    const r = await reseal({ id, sealed, rawLength: loc.rawLength });
    if (r instanceof Error) throw inPack(r, loc.pack);
    return r;
  }

  /** A source blob's plaintext, and whether the source stored it raw (then zstd is not tried on it again). */
  async #read(id: BlobId): Promise<{ bytes: Uint8Array; stored: boolean }> {
    const loc = await this.#locate(id);
    const bytes = await this.d.read(id, loc);
    return { bytes, stored: loc.length >= loc.rawLength + RAW_OVERHEAD };
  }

  /** Where source blob `id` lies, counted as read; an interrupt stops the copy here, between blobs. */
  async #locate(id: BlobId): Promise<BlobLocation> {
    this.d.signal?.throwIfAborted();
    const loc = await this.d.src.locate(id);
    this.d.counters.bytesRead += loc.rawLength;
    return loc;
  }

  #wrote(bytes: number): void {
    this.d.counters.blobsWritten++;
    this.d.counters.bytesWritten += bytes;
  }
}
