/** Bounds concurrent source fetches; reads the kernel waits for go before prefetches. */

export class FetchLimiter {
  private active = 0;
  private readonly demand: (() => void)[] = [];
  private readonly prefetch: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(work: () => Promise<T>, isPrefetch: boolean): Promise<T> {
    await this.acquire(isPrefetch);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(isPrefetch: boolean): Promise<void> | void {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    return new Promise((resolve) => (isPrefetch ? this.prefetch : this.demand).push(resolve));
  }

  /** Hands the slot straight to the next waiter, so no newcomer can slip in between. */
  private release(): void {
    const next = this.demand.shift() ?? this.prefetch.shift();
    if (next) next();
    else this.active--;
  }
}
