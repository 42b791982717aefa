/** A map that keeps only its most recently set or read entries, so memory stays bounded over a long run. */
import { LRUCache } from 'lru-cache';

/**
 * An LRU map. Not a `Map` trimmed from its first key: a `Map` keeps deleted entries as holes until it is rehashed, so
 * finding its first key after many evictions walks them.
 */
export class RecentMap<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  readonly #m: LRUCache<K, V>;

  constructor(capacity: number) {
    this.#m = new LRUCache<K, V>({ max: Math.max(1, capacity) });
  }

  get(key: K): V | undefined {
    return this.#m.get(key);
  }

  set(key: K, value: V): void {
    this.#m.set(key, value);
  }

  get size(): number {
    return this.#m.size;
  }
}
