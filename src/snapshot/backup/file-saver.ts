/** Stores one file's content: small files as one blob in the normal pack, large ones chunked into a degenerate pack. */
import { SourceReader } from '../fs/source-reader.js';
import { openForBackup } from '../fs/open-file.js';
import { Chunker, type ChunkerParams } from '../../cas/chunker.js';
import { extensionOf } from '../../codec/extension.js';
import type { CompressionPolicy } from '../../codec/policy.js';
import { RozenError } from '../../core/errors.js';
import type { BlobId } from '../../core/ids.js';
import { BlobType } from '../../core/types.js';
import type { BlobPool, SealResult } from '../../repo/blob-pool.js';
import { byteLength, type BlobBytes } from '../../repo/native-seal.js';
import type { BlobSaver } from '../../repo/blob-saver.js';
import type { BackupCounters } from './progress.js';
import { ChunkQueue, type ChunkResult } from './chunk-queue.js';
import { ReadRing, type Filler } from './read-ring.js';
import { MiB } from '../../core/sizes.js';

export interface Content {
  readonly content: BlobId[];
  readonly sizes: number[];
  readonly size: number;
}

/**
 * Read buffers of large files, and the chunks of one being hashed/sealed at once (about 6 MiB at the 1 MiB
 * average): enough to keep the pool busy. Larger buffers or more chunks in flight only raise the peak memory
 * of a backup, and smaller buffers save too little to matter.
 */
const READ_SIZE = 4 * MiB;
const CHUNKS_IN_FLIGHT = 6;
const PROBE = 64 * 1024;

/** What #cutAll needs to know of the file it cuts. */
interface LargeFile {
  readonly ext: string;
  readonly fresh: boolean;
  readonly stopped: () => boolean;
}

/** What the savers of a backup store blobs with: a BlobSaver, or a DryRunSaver that only counts. */
export type BlobSink = Pick<
  BlobSaver,
  'has' | 'claim' | 'unclaim' | 'saveSmall' | 'saveChunk' | 'endLargeFile' | 'flush' | 'abort' | 'stats'
>;

export interface ChunkerSetup {
  readonly params: ChunkerParams;
  readonly gear: Uint32Array;
}

export class FileSaver {
  readonly #pool: BlobPool;
  readonly #saver: BlobSink;
  readonly #policy: CompressionPolicy;
  readonly #chunker: ChunkerSetup;
  readonly #counters: BackupCounters;
  /** The read buffers of large files, handed from one file to the next (see #takeRing). */
  #spareRing: Buffer[] | undefined;

  constructor(pool: BlobPool, saver: BlobSink, policy: CompressionPolicy, chunker: ChunkerSetup, counters: BackupCounters) {
    this.#pool = pool;
    this.#saver = saver;
    this.#policy = policy;
    this.#chunker = chunker;
    this.#counters = counters;
  }

  /** Read, hashed, compressed and sealed whole in the addon; undefined when the file grew into a large one meanwhile. */
  async saveSmall(path: Buffer, size: number, maxSize: number): Promise<Content | undefined> {
    const ext = extensionOf(path);
    const r = await this.#pool.file({ path, level: this.#policy.decideBlind(ext), tryLevel: this.#policy.tryLevel, maxSize }, size);
    if (!r) return undefined;
    this.#counters.bytesRead += r.rawLength;
    if (r.rawLength === 0) return { content: [], sizes: [], size: 0 };
    if (!(await this.#saver.has(r.id)) && this.#saver.claim(r.id)) {
      this.#policy.record(ext, r.rawLength, r.framed, r.attempted);
      await this.#saver.saveSmall(BlobType.data, r.id, r.sealed, r.rawLength);
      this.#counters.blobsNew++;
    }
    return { content: [r.id], sizes: [r.rawLength], size: r.rawLength };
  }

  /**
   * Streamed, content-defined chunks; only chunks new to the repository are stored. The main
   * thread only reads; the addon finds the cut points, hashes and seals on the libuv pool. A
   * `fresh` file (none at this path in the parent) is sealed speculatively in the same trip as
   * its hash, since its chunks are nearly always new; a changed file's chunks are hashed first
   * and sealed if new. A `sparse` file (fewer bytes allocated than its size) is read around its holes.
   */
  async saveLarge(
    path: Buffer,
    fresh: boolean,
    stopped: () => boolean = () => false,
    sparse?: { readonly size: number },
  ): Promise<Content> {
    const fh = await openForBackup(path);
    try {
      return await this.saveStream(extensionOf(path), new SourceReader(fh, sparse), fresh, stopped);
    } finally {
      await fh.close();
    }
  }

  /** saveLarge of what `source` gives until it ends (a file, or stdin); `ext` picks the compression. */
  async saveStream(ext: string, source: Filler, fresh: boolean, stopped: () => boolean = () => false): Promise<Content> {
    const chunker = new Chunker(this.#chunker.params, this.#chunker.gear);
    const queue = new ChunkQueue(this.#saver);
    const ring = new ReadRing(this.#takeRing(), source);
    try {
      await this.#cutAll(ring, chunker, queue, { ext, fresh, stopped });
      const last = chunker.finishPieces();
      if (last) queue.push(...this.#chunks([last], ext, fresh));
      while (queue.length > 0) await queue.drainOne();
    } catch (err) {
      await queue.abandon();
      throw err;
    } finally {
      // A read ahead may still be filling a buffer: the source stays open, and the ring unshared, until it is done.
      await ring.settled();
      // No job reads a buffer of the ring any more (all drained; after an error, all settled above): the next file's.
      this.#spareRing = ring.buffers;
    }
    await this.#saver.endLargeFile();
    return queue.content();
  }

  /**
   * The read buffers the last large file gave back, or new ones: one more than a chunk can span
   * (see ReadRing). Large files are stored one at a time; a new ring per file was garbage only a
   * later GC freed, and it raised the peak memory of a backup.
   */
  #takeRing(): Buffer[] {
    const ring =
      this.#spareRing ??
      Array.from({ length: Math.ceil(this.#chunker.params.max / READ_SIZE) + 2 }, () => Buffer.allocUnsafeSlow(READ_SIZE));
    this.#spareRing = undefined;
    return ring;
  }

  /** Reads the source through, cutting each buffer into chunks and keeping a few of them in flight. */
  async #cutAll(ring: ReadRing, chunker: Chunker, queue: ChunkQueue, file: LargeFile): Promise<void> {
    for (let buf = await ring.next(); buf !== undefined; buf = await ring.next()) {
      if (file.stopped()) throw new RozenError('Interrupted', 'interrupted');
      this.#counters.bytesRead += buf.length;
      const cut = await chunker.cutAsync(buf);
      this.#chunks(cut, file.ext, file.fresh).forEach((done, i) => {
        // Its pieces lie in this buffer and the ones before it, one piece per buffer.
        ring.pin(cut[i]!.length, done);
        queue.push(done);
      });
      while (queue.length > CHUNKS_IN_FLIGHT) await queue.drainOne();
    }
  }

  /**
   * The chunks cut from one read buffer, hashed (for a fresh file: sealed) in one job on the pool; a
   * changed file's new chunks are then sealed one by one. They may view the read buffer: it is not
   * refilled until all of these settle.
   */
  #chunks(cut: readonly Uint8Array[][], ext: string, fresh: boolean): Promise<ChunkResult>[] {
    if (cut.length === 0) return [];
    const chunks = cut.map((pieces) => (pieces.length === 1 ? pieces[0]! : pieces));
    const levels = chunks.map((data) => this.#policy.decide(ext, sampleOf(data)));
    if (fresh) {
      const sealed = this.#pool.sealMany(chunks.map((data, i) => ({ data, level: levels[i]! })));
      return chunks.map(async (data, i) => {
        const r = (await sealed)[i]!;
        return this.#keep(r.id, byteLength(data), () => Promise.resolve(r), ext);
      });
    }
    const ids = this.#pool.hashMany(chunks);
    return chunks.map(async (data, i) => {
      const id = (await ids)[i]!;
      return this.#keep(id, byteLength(data), () => this.#pool.seal({ data, level: levels[i]!, id }), ext);
    });
  }

  async #keep(id: BlobId, size: number, seal: () => Promise<SealResult>, ext: string): Promise<ChunkResult> {
    if ((await this.#saver.has(id)) || !this.#saver.claim(id)) return { id, size };
    const r = await seal();
    this.#policy.record(ext, r.rawLength, r.framed);
    this.#counters.blobsNew++;
    return { id, size, sealed: r.sealed };
  }
}

/** Four 16 KiB slices spread over a chunk: a chunk can start with random data and end in zeros. */
function sampleOf(data: BlobBytes): Uint8Array {
  const length = byteLength(data);
  const pieces = data instanceof Uint8Array ? [data] : data;
  if (length <= PROBE) return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  const part = PROBE / 4;
  const step = Math.floor((length - part) / 3);
  const sample = Buffer.allocUnsafe(PROBE);
  [0, 1, 2, 3].forEach((i) => copyOut(pieces, i * step, sample.subarray(i * part, (i + 1) * part)));
  return sample;
}

/** Fills `into` with the bytes of `pieces` (one stream) from offset `from` on. */
function copyOut(pieces: readonly Uint8Array[], from: number, into: Uint8Array): void {
  let at = 0;
  let skip = from;
  for (const piece of pieces) {
    if (at === into.length) return;
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    const take = piece.subarray(skip, skip + into.length - at);
    into.set(take, at);
    at += take.length;
    skip = 0;
  }
}
