/** Directory listings by tree blob id: loaded on first use, kept compact, least recently used out first, bounded in bytes. */
import type { BlobId } from '../core/ids.js';
import { DirListing } from './dir-listing.js';
import type { SnapshotSource } from './snapshot-source.js';

/** What a cached listing costs besides its arrays: the object and its eleven typed arrays. */
const LISTING_OVERHEAD = 1024;
/** Directories loaded ahead after the one a lister opens, among how many entries after it (see prefetchAfter). */
const SIBLING_TREES = 8;
const SIBLING_SCAN = 64;

interface Cached {
  readonly listing: DirListing;
  readonly bytes: number;
}

export class TreeCache {
  /** Least recently used first. */
  private readonly cached = new Map<BlobId, Cached>();
  private bytes = 0;
  private readonly inflight = new Map<BlobId, Promise<DirListing>>();
  /** Bytes of the listing loaded last: how large the siblings loaded ahead are guessed to be. */
  private lastBytes = 0;

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

  /**
   * Loads the trees of the next few directories after entry `after` of `siblings`, unless listings of
   * the size loaded last would fill half the cache: a recursive lister (`ls -lR`, `find`, `du`) opens
   * them next, and their blobs are fetched and opened while it works through this one. The loads started,
   * by position in `siblings`; failures are left for the lister's own request to meet.
   */
  prefetchAfter(siblings: DirListing, after: number): [number, Promise<DirListing>][] {
    const loads: [number, Promise<DirListing>][] = [];
    if (this.lastBytes * SIBLING_TREES > this.maxBytes / 2) return loads;
    let dirs = 0;
    const last = Math.min(siblings.length - 1, after + SIBLING_SCAN);
    for (let j = after + 1; j <= last && dirs < SIBLING_TREES; j++) {
      const tree = siblings.subtree(j);
      if (tree === undefined) continue;
      dirs++;
      if (this.cached.has(tree) || this.inflight.has(tree)) continue;
      const load = this.load(tree);
      load.catch(() => undefined);
      loads.push([j, load]);
    }
    return loads;
  }

  private async fetch(id: BlobId): Promise<DirListing> {
    const listing = DirListing.from(await this.source.loadTree(id));
    this.keep(id, listing);
    return listing;
  }

  /** Keeps the newest listing even when it alone is over the bound: a large directory is listed in parts. */
  private keep(id: BlobId, listing: DirListing): void {
    const bytes = listing.byteLength + LISTING_OVERHEAD;
    this.lastBytes = bytes;
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
