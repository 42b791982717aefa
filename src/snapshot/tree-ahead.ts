/**
 * Loads the trees a depth-first walk will enter next, a bounded number at a time, so the walk
 * rarely waits for a tree and memory holds a few trees rather than every tree met so far.
 */
import type { BlobId } from '../core/ids.js';

/** Trees loaded or loading ahead of the walk. */
export const TREES_AHEAD = 16;

export class TreeAhead<T> {
  /** Trees the walk is expected to enter, the next one last (a stack in depth-first order). */
  readonly #upcoming: BlobId[] = [];
  readonly #loads = new Map<BlobId, Promise<T>>();

  /** `loadMany` starts loading the trees given, in order, and returns their promises. */
  constructor(
    private readonly loadMany: (ids: readonly BlobId[]) => Promise<T>[],
    private readonly limit = TREES_AHEAD,
  ) {}

  /** The trees of the directory just entered, in walk order: they come before every tree queued earlier. */
  upcoming(ids: readonly BlobId[]): void {
    for (let i = ids.length - 1; i >= 0; i--) this.#upcoming.push(ids[i]!);
    this.#fill();
  }

  /**
   * The tree the walk enters now. Trees queued ahead of it were passed over (the walk skipped
   * them) and are dropped; a tree that was never queued is loaded on its own.
   */
  take(id: BlobId): Promise<T> {
    const at = this.#upcoming.lastIndexOf(id);
    if (at >= 0) {
      for (const skipped of this.#upcoming.splice(at)) if (skipped !== id) this.#loads.delete(skipped);
    }
    const load = this.#loads.get(id) ?? this.loadMany([id])[0]!;
    this.#loads.delete(id);
    this.#fill();
    return load;
  }

  /** Number of trees loaded or loading ahead (for tests). */
  get pending(): number {
    return this.#loads.size;
  }

  #fill(): void {
    const start: BlobId[] = [];
    for (let i = this.#upcoming.length - 1; i >= 0 && this.#loads.size + start.length < this.limit; i--) {
      const id = this.#upcoming[i]!;
      if (!this.#loads.has(id) && !start.includes(id)) start.push(id);
    }
    if (start.length === 0) return;
    this.loadMany(start).forEach((p, k) => {
      p.catch(() => undefined); // a load nobody takes must not be an unhandled rejection
      this.#loads.set(start[k]!, p);
    });
  }
}
