/** Plaintext data blobs: fetched once (concurrent requests share one fetch), kept in an LRU bounded by bytes. */
import { LRUCache } from 'lru-cache';
import type { BlobId } from '../core/ids.js';
import { FetchLimiter } from './fetch-limiter.js';
import type { SnapshotSource } from './snapshot-source.js';

export class BlobCache {
  private readonly lru: LRUCache<BlobId, Uint8Array>;
  private readonly inflight = new Map<BlobId, Promise<Uint8Array>>();
  private readonly limiter: FetchLimiter;

  constructor(
    private readonly source: Pick<SnapshotSource, 'readBlob'>,
    maxBytes: number,
    concurrency: number,
  ) {
    this.lru = new LRUCache<BlobId, Uint8Array>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (b) => Math.max(1, b.byteLength),
    });
    this.limiter = new FetchLimiter(concurrency);
  }

  /** True when the blob is cached or being fetched. */
  has(id: BlobId): boolean {
    return this.lru.has(id) || this.inflight.has(id);
  }

  async get(id: BlobId, isPrefetch = false): Promise<Uint8Array> {
    const hit = this.lru.get(id);
    if (hit) return hit;
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.limiter.run(() => this.fetch(id), isPrefetch).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  private async fetch(id: BlobId): Promise<Uint8Array> {
    const data = await this.source.readBlob(id);
    this.lru.set(id, data);
    return data;
  }
}
