/** A counting semaphore with weights, bounding work (and bytes) in flight. */

export class Semaphore {
  #available: number;
  readonly #capacity: number;
  readonly #waiters: { weight: number; resolve: () => void }[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#available = capacity;
  }

  /** Wait until `weight` (capped at the capacity) is available and take it. */
  async acquire(weight = 1): Promise<number> {
    const w = Math.min(weight, this.#capacity);
    if (this.#waiters.length === 0 && this.#available >= w) {
      this.#available -= w;
      return w;
    }
    await new Promise<void>((resolve) => this.#waiters.push({ weight: w, resolve }));
    return w;
  }

  /** Take `weight` now if it is available and nobody waits; false otherwise. */
  tryAcquire(weight = 1): boolean {
    const w = Math.min(weight, this.#capacity);
    if (this.#waiters.length > 0 || this.#available < w) return false;
    this.#available -= w;
    return true;
  }

  release(weight: number): void {
    this.#available += weight;
    while (this.#waiters.length > 0 && this.#available >= this.#waiters[0]!.weight) {
      const next = this.#waiters.shift()!;
      this.#available -= next.weight;
      next.resolve();
    }
  }
}
