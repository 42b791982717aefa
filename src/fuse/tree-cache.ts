/** Directory listings by tree blob id: loaded on first use, kept compact, least recently used out first, bounded in bytes. */
import type { BlobId } from '../core/ids.js';
import { DirListing } from './dir-listing.js';
import type { SnapshotSource } from './snapshot-source.js';

/** What a cached listing costs besides its arrays: the object and its eleven typed arrays. */
const LISTING_OVERHEAD = 1024;

interface Cached {
  readonly listing: DirListing;
  readonly bytes: number;
}

export class TreeCache {
  /** Least recently used first. */
  private readonly cached = new Map<BlobId, Cached>();
  private bytes = 0;
  private readonly inflight = new Map<BlobId, Promise<DirListing>>();

  constructor(
    private readonly source: Pick<SnapshotSource, 'loadTree'>,
    private readonly maxBytes: number,
  ) {}

  /** Estimated bytes of the listings kept (for tests). */
  get heldBytes(): number {
    return this.bytes;
  }

  peek(id: BlobId): DirListing | undefined {
    const hit = this.cached.get(id);
    if (hit === undefined) return undefined;
    this.cached.delete(id);
    this.cached.set(id, hit);
    return hit.listing;
  }

  /** From the cache, else loaded once however many ask at the same time. */
  get(id: BlobId): DirListing | Promise<DirListing> {
    return this.peek(id) ?? this.load(id);
  }

  load(id: BlobId): Promise<DirListing> {
    const hit = this.peek(id);
    if (hit) return Promise.resolve(hit);
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.fetch(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  private async fetch(id: BlobId): Promise<DirListing> {
    const listing = DirListing.from(await this.source.loadTree(id));
    this.keep(id, listing);
    return listing;
  }

  /** Keeps the newest listing even when it alone is over the bound: a large directory is listed in parts. */
  private keep(id: BlobId, listing: DirListing): void {
    const bytes = listing.byteLength + LISTING_OVERHEAD;
    const old = this.cached.get(id);
    if (old !== undefined) this.bytes -= old.bytes;
    this.cached.delete(id);
    this.cached.set(id, { listing, bytes });
    this.bytes += bytes;
    for (const [oldest, c] of this.cached) {
      if (this.bytes <= this.maxBytes || oldest === id) break;
      this.cached.delete(oldest);
      this.bytes -= c.bytes;
    }
  }
}
