/**
 * Work on items 0..n-1 started a few items ahead of the one taken, in order: `take(i)` starts the items up to
 * i + depth not started yet and hands over item i's result. A result not taken (the caller stopped at a failure)
 * is dropped with its rejection handled.
 */
export class Ahead<T> {
  readonly #started: (Promise<T> | undefined)[] = [];

  constructor(
    private readonly count: number,
    private readonly depth: number,
    private readonly start: (i: number) => Promise<T> | undefined,
  ) {}

  /** Item i's work (undefined when `start` gave none); items are taken in order, each once. */
  take(i: number): Promise<T> | undefined {
    while (this.#started.length <= Math.min(i + this.depth, this.count - 1)) {
      const p = this.start(this.#started.length);
      p?.catch(() => undefined);
      this.#started.push(p);
    }
    const p = this.#started[i];
    this.#started[i] = undefined;
    return p;
  }
}
