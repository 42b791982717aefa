/** The saver of `backup --dry-run`: blobs are counted, never written, and the index is only read. */
import type { BlobIndex } from '../../cas/blob-index.js';
import type { BlobId } from '../../core/ids.js';
import type { BlobType } from '../../core/types.js';
import type { SaverStats } from '../../repo/blob-saver.js';
import type { BlobSink } from './file-saver.js';

/**
 * Answers `has` from the index and the blobs this run would have written, so equal data is counted
 * once; `stats.storedBytes` sums the sealed blobs (the packs' headers are not counted). Nothing is
 * added to the index, so neither its files nor the local cache learn of these blobs.
 */
export class DryRunSaver implements BlobSink {
  readonly #index: Pick<BlobIndex, 'has'>;
  readonly #seen = new Set<BlobId>();
  readonly stats: SaverStats = { packs: 0, blobs: 0, storedBytes: 0 };

  constructor(index: Pick<BlobIndex, 'has'>) {
    this.#index = index;
  }

  async has(id: BlobId): Promise<boolean> {
    return this.#seen.has(id) || (await this.#index.has(id));
  }

  claim(id: BlobId): boolean {
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    return true;
  }

  unclaim(id: BlobId): void {
    this.#seen.delete(id);
  }

  saveSmall(_type: BlobType, id: BlobId, sealed: Uint8Array): Promise<void> {
    return this.saveChunk(id, sealed);
  }

  saveChunk(id: BlobId, sealed: Uint8Array): Promise<void> {
    this.#seen.add(id);
    this.stats.blobs++;
    this.stats.storedBytes += sealed.length;
    return Promise.resolve();
  }

  endLargeFile(): Promise<void> {
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  abort(): Promise<void> {
    return Promise.resolve();
  }
}
