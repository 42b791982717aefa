/** A map that keeps only its most recently set or read entries, so memory stays bounded over a long run. */
export class RecentMap<K, V> {
  readonly #m = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.#m.get(key);
    if (v !== undefined) {
      this.#m.delete(key);
      this.#m.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.#m.delete(key);
    this.#m.set(key, value);
    if (this.#m.size > this.capacity) {
      const oldest = this.#m.keys().next();
      if (!oldest.done) this.#m.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#m.size;
  }
}
