/** Directory listings by tree blob id: loaded on first use, kept in an LRU bounded by entry count. */
import { LRUCache } from 'lru-cache';
import type { BlobId } from '../core/ids.js';
import type { Node } from '../snapshot/node.js';
import { servedName } from './name-escape.js';
import type { SnapshotSource } from './snapshot-source.js';

export interface Listing {
  readonly nodes: readonly Node[];
  /** Served (escaped) names, parallel to `nodes`. */
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
}

export class TreeCache {
  private readonly lru: LRUCache<BlobId, Listing>;
  private readonly inflight = new Map<BlobId, Promise<Listing>>();

  constructor(
    private readonly source: Pick<SnapshotSource, 'loadTree'>,
    maxEntries: number,
  ) {
    this.lru = new LRUCache<BlobId, Listing>({
      maxSize: maxEntries,
      sizeCalculation: (l) => Math.max(1, l.nodes.length),
    });
  }

  peek(id: BlobId): Listing | undefined {
    return this.lru.get(id);
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
    const listing = toListing(await this.source.loadTree(id));
    this.lru.set(id, listing);
    return listing;
  }
}

function toListing(nodes: readonly Node[]): Listing {
  const names = nodes.map((n) => servedName(n.name));
  return { nodes, names, index: new Map(names.map((name, i) => [name, i])) };
}
