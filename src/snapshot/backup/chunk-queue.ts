/** The chunks of one large file in flight, kept in file order and stored as they are done. */
import type { BlobId } from '../../core/ids.js';
import type { BlobSaver } from '../../repo/blob-saver.js';

/** A chunk hashed, and sealed if it is new to the repository (then it is ours to store). */
export interface ChunkResult {
  readonly id: BlobId;
  readonly size: number;
  readonly sealed?: Uint8Array;
}

/** The part of a BlobSaver the queue uses: it stores the chunks it claimed, or gives the claims up. */
export type ChunkStore = Pick<BlobSaver, 'saveChunk' | 'unclaim'>;

export class ChunkQueue {
  readonly #saver: ChunkStore;
  readonly #queue: Promise<ChunkResult>[] = [];
  readonly #content: BlobId[] = [];
  readonly #sizes: number[] = [];

  constructor(saver: ChunkStore) {
    this.#saver = saver;
  }

  get length(): number {
    return this.#queue.length;
  }

  push(...chunks: Promise<ChunkResult>[]): void {
    this.#queue.push(...chunks);
  }

  /** Waits for the oldest chunk, and stores it if it is new. */
  async drainOne(): Promise<void> {
    const r = await this.#queue.shift()!;
    this.#content.push(r.id);
    this.#sizes.push(r.size);
    if (r.sealed) await this.#saver.saveChunk(r.id, r.sealed, r.size);
  }

  /** After a failure: waits for the chunks still in flight, and gives up the claims on the new ones. */
  async abandon(): Promise<void> {
    for (const r of await Promise.allSettled(this.#queue)) {
      if (r.status === 'fulfilled' && r.value.sealed) this.#saver.unclaim(r.value.id);
    }
  }

  /** The ids and sizes of the chunks drained, in order. */
  content(): { content: BlobId[]; sizes: number[]; size: number } {
    return { content: this.#content, sizes: this.#sizes, size: this.#sizes.reduce((a, b) => a + b, 0) };
  }
}
