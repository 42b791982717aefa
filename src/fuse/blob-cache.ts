/**
 * Plaintext data blobs: fetched once (concurrent requests share one fetch), kept in an LRU bounded by
 * bytes. Where the source reads runs of neighbouring blobs, all of a run is cached, and reading past the
 * middle of a run fetches the next one, so a copy of many small files rarely waits for a fetch.
 */
import { LRUCache } from 'lru-cache';
import type { BlobId } from '../core/ids.js';
import { FetchLimiter } from './fetch-limiter.js';
import type { SnapshotSource } from './snapshot-source.js';

const RUN_BYTES = 4 * 1024 * 1024;

export class BlobCache {
  private readonly lru: LRUCache<BlobId, Uint8Array>;
  private readonly inflight = new Map<BlobId, Promise<Uint8Array>>();
  private readonly limiter: FetchLimiter;
  /** Blob of a cached run → the first blob of the run after it, fetched when that blob is read. */
  private readonly continuations = new Map<BlobId, BlobId>();
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly source: Pick<SnapshotSource, 'readBlob' | 'readRun'>,
    maxBytes: number,
    concurrency: number,
  ) {
    this.lru = new LRUCache<BlobId, Uint8Array>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (b) => Math.max(1, b.byteLength),
      dispose: (_, id) => this.continuations.delete(id),
    });
    this.limiter = new FetchLimiter(concurrency);
  }

  /** True when the blob is cached or being fetched. */
  has(id: BlobId): boolean {
    return this.lru.has(id) || this.inflight.has(id);
  }

  /** The blob if it is cached, without waiting. */
  peek(id: BlobId): Uint8Array | undefined {
    const hit = this.lru.get(id);
    if (hit !== undefined) this.continueAfter(id);
    return hit;
  }

  get(id: BlobId, isPrefetch = false): Promise<Uint8Array> {
    const hit = this.peek(id);
    if (hit) return Promise.resolve(hit);
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.start(id, isPrefetch).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  /** A prefetch waits for the fetches under way: the blob it wants is often in one of their runs. */
  private async start(id: BlobId, isPrefetch: boolean): Promise<Uint8Array> {
    if (isPrefetch && this.running.size > 0) {
      await Promise.allSettled([...this.running]);
      const hit = this.lru.get(id);
      if (hit) return hit;
    }
    const fetch = this.limiter.run(() => this.fetch(id), isPrefetch);
    this.running.add(fetch);
    void fetch.finally(() => this.running.delete(fetch)).catch(() => undefined);
    return fetch;
  }

  private async fetch(id: BlobId): Promise<Uint8Array> {
    if (!this.source.readRun) {
      const data = await this.source.readBlob(id);
      this.lru.set(id, data);
      return data;
    }
    const run = await this.source.readRun(id, RUN_BYTES);
    for (const [blob, data] of run.blobs) this.lru.set(blob, data);
    const [trigger] = run.blobs[Math.floor(run.blobs.length / 2)] ?? [];
    if (run.next !== undefined && trigger !== undefined && this.lru.has(trigger)) this.continuations.set(trigger, run.next);
    const own = run.blobs[0];
    if (own === undefined || own[0] !== id) throw new Error(`the source answered blob ${id} with another run`);
    return own[1];
  }

  private continueAfter(id: BlobId): void {
    const next = this.continuations.get(id);
    if (next === undefined) return;
    this.continuations.delete(id);
    if (!this.has(next)) this.get(next, true).catch(() => undefined);
  }
}
