/**
 * Plaintext data blobs: fetched once (concurrent requests share one fetch) and kept while `maxBytes`
 * allow, oldest out first. Where the source reads runs of neighbouring blobs, all of a run is kept
 * (decoded straight into the cache's ring, see plain-ring.ts), and reading past the middle of a run
 * fetches the next one, so a copy of many small files rarely waits for a fetch.
 */
import type { BlobId } from '../core/ids.js';
import { FetchLimiter } from './fetch-limiter.js';
import { PlainRing, type Region } from './plain-ring.js';
import type { SnapshotSource } from './snapshot-source.js';

const RUN_BYTES = 4 * 1024 * 1024;

/**
 * Why a blob is wanted: a read waits for it; `ahead` is read-ahead; a `neighbour` (the next file of a
 * directory) is often in a run under way, so it waits for those before fetching on its own.
 */
export type Want = 'read' | 'ahead' | 'neighbour';

interface Cached {
  readonly data: Uint8Array;
  /** Where in the ring it lies; undefined for a buffer of its own. */
  readonly region?: Region<BlobId>;
}

export class BlobCache {
  private readonly cached = new Map<BlobId, Cached>();
  private readonly ring: PlainRing<BlobId>;
  /** Blobs in buffers of their own (no run, or too large for the ring), oldest first, and their bytes. */
  private readonly own = new Map<BlobId, number>();
  private ownBytes = 0;
  /** Views of the ring that a newer run has overwritten. */
  private readonly overwritten = new WeakSet<Uint8Array>();
  private readonly inflight = new Map<BlobId, Promise<Uint8Array>>();
  private readonly limiter: FetchLimiter;
  /** Blob of a cached run → the first blob of the run after it, fetched when that blob is read. */
  private readonly continuations = new Map<BlobId, BlobId>();
  private readonly running = new Set<Promise<unknown>>();
  /** Called with every blob a run decodes, as it is cached. */
  onDecoded: ((id: BlobId, data: Uint8Array) => void) | undefined;

  constructor(
    private readonly source: Pick<SnapshotSource, 'readBlob' | 'readRun'>,
    private readonly maxBytes: number,
    concurrency: number,
  ) {
    // Runs are decoded into the ring (three quarters of the bytes); other blobs get buffers of their own.
    this.ring = new PlainRing<BlobId>(source.readRun ? Math.floor((maxBytes * 3) / 4) : 0, (region) => {
      for (const id of region.keys) {
        const c = this.cached.get(id);
        if (c?.region !== region) continue;
        this.overwritten.add(c.data);
        this.drop(id);
      }
    });
    this.limiter = new FetchLimiter(concurrency);
  }

  /** True when the blob is cached or being fetched. */
  has(id: BlobId): boolean {
    return this.cached.has(id) || this.inflight.has(id);
  }

  /** The blob if it is cached, without counting as a read. */
  cachedData(id: BlobId): Uint8Array | undefined {
    return this.cached.get(id)?.data;
  }

  /** The blob if it is cached, without waiting. */
  peek(id: BlobId): Uint8Array | undefined {
    const hit = this.cached.get(id);
    if (hit !== undefined) this.continueAfter(id);
    return hit?.data;
  }

  get(id: BlobId, want: Want = 'read'): Promise<Uint8Array> {
    const hit = this.peek(id);
    if (hit) return Promise.resolve(hit);
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.start(id, want).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  /**
   * Several blobs at once. Waiting for the last of them, a run decoded meanwhile may have taken the
   * place of an earlier one in the ring: such a blob is fetched again, so every view returned is intact.
   */
  async getAll(ids: readonly BlobId[]): Promise<Uint8Array[]> {
    for (let attempt = 0; ; attempt++) {
      const got = await Promise.all(ids.map((id) => this.get(id)));
      if (!got.some((data) => this.overwritten.has(data))) return got;
      if (attempt === 8) throw new Error(`the mount cache is too small to hold ${ids.length} chunks at once`);
    }
  }

  private async start(id: BlobId, want: Want): Promise<Uint8Array> {
    // Until no run is under way: neighbours waiting on one run all woke when it ended, and each not yet
    // cached started a run of its own, decoding the same blobs over and over (a copy out of the mount
    // decoded 2.1 GB for a 1 GB snapshot).
    while (want === 'neighbour' && this.running.size > 0) {
      await Promise.allSettled([...this.running]);
      const hit = this.cached.get(id);
      if (hit) return hit.data;
    }
    const fetch = this.limiter.run(() => this.fetch(id), want !== 'read');
    this.running.add(fetch);
    void fetch.finally(() => this.running.delete(fetch)).catch(() => undefined);
    return fetch;
  }

  private async fetch(id: BlobId): Promise<Uint8Array> {
    if (!this.source.readRun) {
      const data = await this.source.readBlob(id);
      this.keepOwn(id, data);
      return data;
    }
    let region: Region<BlobId> | undefined;
    const run = await this.source.readRun(id, RUN_BYTES, (n) => {
      const piece = this.ring.alloc(n);
      region = piece?.region;
      return piece?.bytes ?? new Uint8Array(n);
    });
    for (const [blob, data] of run.blobs) {
      if (region) {
        this.cached.set(blob, { data, region });
        region.keys.push(blob);
      } else {
        this.keepOwn(blob, data);
      }
    }
    for (const [blob, data] of run.blobs) this.onDecoded?.(blob, data);
    const [trigger] = run.blobs[Math.floor(run.blobs.length / 2)] ?? [];
    if (run.next !== undefined && trigger !== undefined && this.cached.has(trigger)) this.continuations.set(trigger, run.next);
    const own = run.blobs[0];
    if (own === undefined || own[0] !== id) throw new Error(`the source answered blob ${id} with another run`);
    return own[1];
  }

  /** Keeps a blob in a buffer of its own, within the bytes the ring does not use (the newest always). */
  private keepOwn(id: BlobId, data: Uint8Array): void {
    this.drop(id);
    this.cached.set(id, { data });
    this.own.set(id, data.byteLength);
    this.ownBytes += data.byteLength;
    for (const oldest of this.own.keys()) {
      if (this.ownBytes <= this.maxBytes - this.ring.capacity || oldest === id) break;
      this.drop(oldest);
    }
  }

  private drop(id: BlobId): void {
    if (!this.cached.delete(id)) return;
    this.continuations.delete(id);
    const bytes = this.own.get(id);
    if (bytes !== undefined) {
      this.own.delete(id);
      this.ownBytes -= bytes;
    }
  }

  private continueAfter(id: BlobId): void {
    const next = this.continuations.get(id);
    if (next === undefined) return;
    this.continuations.delete(id);
    if (!this.has(next)) this.get(next, 'ahead').catch(() => undefined);
  }
}
