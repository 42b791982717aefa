/** Directory listings by tree blob id: loaded on first use, kept in an LRU bounded by entry count. */
import { LRUCache } from 'lru-cache';
import type { BlobId } from '../core/ids.js';
import type { Node } from '../snapshot/node.js';
import type { SnapshotSource } from './snapshot-source.js';

/** A directory's entries, sorted by name bytes. */
export type Listing = readonly Node[];

export class TreeCache {
  private readonly lru: LRUCache<BlobId, Listing>;
  private readonly inflight = new Map<BlobId, Promise<Listing>>();

  constructor(
    private readonly source: Pick<SnapshotSource, 'loadTree'>,
    maxEntries: number,
  ) {
    this.lru = new LRUCache<BlobId, Listing>({
      maxSize: maxEntries,
      sizeCalculation: (l) => Math.max(1, l.length),
    });
  }

  peek(id: BlobId): Listing | undefined {
    return this.lru.get(id);
  }

  /** From the cache, else loaded once however many ask at the same time. */
  get(id: BlobId): Listing | Promise<Listing> {
    return this.peek(id) ?? this.load(id);
  }

  async load(id: BlobId): Promise<Listing> {
    const hit = this.lru.get(id);
    if (hit) return hit;
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.fetch(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  private async fetch(id: BlobId): Promise<Listing> {
    const listing = await this.source.loadTree(id);
    this.lru.set(id, listing);
    return listing;
  }
}

/** Position of the entry named `name` (binary search over the sorted names), or -1. */
export function findName(listing: Listing, name: Uint8Array): number {
  let lo = 0;
  let hi = listing.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = Buffer.compare((listing[mid] as Node).name, name);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
