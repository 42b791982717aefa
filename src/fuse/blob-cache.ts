/**
 * Plaintext data blobs: fetched once (concurrent requests share one fetch) and kept while `maxBytes`
 * allow, least recently used out first. Where the source reads runs of neighbouring blobs, all of a
 * run is kept, and reading past the middle of a run fetches the next one, so a copy of many small
 * files rarely waits for a fetch.
 *
 * Every run is decoded into a buffer of its own that nothing writes once the decode has finished:
 * a view handed out (to a reply, a page-cache push, a reader waiting on other chunks) stays the
 * blob's plaintext for as long as anyone holds it; evicting only forgets it.
 */
import type { BlobId } from '../core/ids.js';
import { FetchLimiter } from './fetch-limiter.js';
import type { SnapshotSource } from './snapshot-source.js';
import { MiB } from '../core/sizes.js';

const RUN_BYTES = 4 * MiB;

/**
 * Why a blob is wanted: a read waits for it; `ahead` is read-ahead; a `neighbour` (the next file of a
 * directory) is often in a run under way, so it waits for those before fetching on its own.
 */
export type Want = 'read' | 'ahead' | 'neighbour';

/** What is evicted at once: the blobs decoded together into one buffer, and that buffer's bytes. */
interface Entry {
  readonly ids: readonly BlobId[];
  readonly bytes: number;
}

interface Cached {
  readonly data: Uint8Array;
  readonly entry: Entry;
}

export class BlobCache {
  private readonly cached = new Map<BlobId, Cached>();
  /** Entries, least recently used first. */
  private readonly entries = new Set<Entry>();
  private bytes = 0;
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
    this.limiter = new FetchLimiter(concurrency);
  }

  /** True when the blob is cached or being fetched. */
  has(id: BlobId): boolean {
    return this.cached.has(id) || this.inflight.has(id);
  }

  /** Bytes of the buffers the cache holds (for tests). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** The blob if it is cached, without counting as a read. */
  cachedData(id: BlobId): Uint8Array | undefined {
    return this.cached.get(id)?.data;
  }

  /** The blob if it is cached, without waiting. */
  peek(id: BlobId): Uint8Array | undefined {
    const hit = this.cached.get(id);
    if (hit === undefined) return undefined;
    this.entries.delete(hit.entry);
    this.entries.add(hit.entry);
    this.continueAfter(id);
    return hit.data;
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

  /** Several blobs at once (each view stays intact whatever is evicted meanwhile). */
  getAll(ids: readonly BlobId[]): Promise<Uint8Array[]> {
    return Promise.all(ids.map((id) => this.get(id)));
  }

  private async start(id: BlobId, want: Want): Promise<Uint8Array> {
    // Until no run is under way: neighbours waiting on one run all woke when it ended, and each not yet
    // cached would otherwise start a run of its own, decoding the same blobs over and over.
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
      this.keep([[id, data]]);
      return data;
    }
    const run = await this.source.readRun(id, RUN_BYTES);
    const own = run.blobs[0];
    if (own === undefined || own[0] !== id) throw new Error(`the source answered blob ${id} with another run`);
    this.keep(run.blobs);
    for (const [blob, data] of run.blobs) this.onDecoded?.(blob, data);
    const [trigger] = run.blobs[Math.floor(run.blobs.length / 2)] ?? [];
    if (run.next !== undefined && trigger !== undefined && this.cached.has(trigger)) this.continuations.set(trigger, run.next);
    return own[1];
  }

  /** Keeps blobs decoded together as one entry (the newest, kept even when alone over `maxBytes`). */
  private keep(blobs: readonly (readonly [BlobId, Uint8Array])[]): void {
    let bytes = 0;
    for (const [, data] of blobs) bytes += data.byteLength;
    const entry: Entry = { ids: blobs.map(([id]) => id), bytes };
    for (const [id, data] of blobs) this.cached.set(id, { data, entry });
    this.entries.add(entry);
    this.bytes += bytes;
    for (const oldest of this.entries) {
      if (this.bytes <= this.maxBytes || oldest === entry) break;
      this.evict(oldest);
    }
  }

  private evict(entry: Entry): void {
    this.entries.delete(entry);
    this.bytes -= entry.bytes;
    for (const id of entry.ids) {
      if (this.cached.get(id)?.entry !== entry) continue;
      this.cached.delete(id);
      this.continuations.delete(id);
    }
  }

  private continueAfter(id: BlobId): void {
    const next = this.continuations.get(id);
    if (next === undefined) return;
    this.continuations.delete(id);
    if (!this.has(next)) this.get(next, 'ahead').catch(() => undefined);
  }
}
