/**
 * A walk started before its consumer is ready: a backup begins scanning the disk while the
 * repository is still being opened (key derivation alone takes ~0.1 s), and keeps a bounded
 * number of events, with the errors reported among them, until they are taken.
 */
import { type WalkEvent, type WalkOptions, walk } from './walk.js';

type Item = { readonly event: WalkEvent } | { readonly path: Buffer; readonly error: Error };

/**
 * Events kept before the walk pauses once the consumer takes them. An initial backup, whose
 * consumer is slow, holds the buffer full the whole run: 16,384 events (with their directories'
 * scans) cost 50-70 MB more peak RSS there.
 */
const DEFAULT_LIMIT = 1024;
/**
 * Events kept before the consumer has started (the key derivation and the index cache opening):
 * with 1,024 the walk stood still for most of the key derivation. The consumer's first turns take
 * them down to DEFAULT_LIMIT before the walk goes on.
 */
const LIMIT_BEFORE_START = 16384;

export class WalkAhead {
  readonly #items: Item[] = [];
  #head = 0;
  #done = false;
  #stopped = false;
  #started = false;
  #failure: { readonly err: unknown } | undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;

  /** `limit`: events kept once the consumer takes them; `startLimit`: before it starts (at least `limit`). */
  constructor(
    roots: readonly string[],
    opts: Omit<WalkOptions, 'onError'>,
    private readonly limit = DEFAULT_LIMIT,
    private readonly startLimit = LIMIT_BEFORE_START,
  ) {
    void this.#run(walk(roots, { ...opts, onError: (path, error) => this.#push({ path, error }) }));
  }

  /** The walk's events in order; errors among them go to `onError` as the walk reported them. Call once. */
  async *events(onError: (path: Buffer, err: Error) => void): AsyncGenerator<WalkEvent> {
    this.#started = true;
    for (;;) {
      if (this.#head < this.#items.length) {
        const item = this.#items[this.#head++]!;
        this.#compact();
        if ('event' in item) yield item.event;
        else onError(item.path, item.error);
        continue;
      }
      if (this.#done) {
        if (this.#failure) throw this.#failure.err;
        return;
      }
      await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
    }
  }

  /** Stops walking (the consumer gave up); events not taken are dropped. */
  stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  async #run(events: AsyncGenerator<WalkEvent>): Promise<void> {
    try {
      for await (const event of events) {
        this.#push({ event });
        while (!this.#stopped && this.#items.length - this.#head >= this.#limit()) {
          await new Promise<void>((resolve) => (this.#wakeProducer = resolve));
        }
        if (this.#stopped) break;
      }
    } catch (err) {
      this.#failure = { err };
    } finally {
      this.#done = true;
      this.#wake();
    }
  }

  #limit(): number {
    return this.#started ? this.limit : Math.max(this.limit, this.startLimit);
  }

  #push(item: Item): void {
    this.#items.push(item);
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    wake?.();
  }

  #wake(): void {
    for (const wake of [this.#wakeConsumer, this.#wakeProducer]) wake?.();
    this.#wakeConsumer = undefined;
    this.#wakeProducer = undefined;
  }

  /** Drops taken items now and then, and lets a paused walk go on. */
  #compact(): void {
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#wakeProducer !== undefined && this.#items.length - this.#head < this.#limit()) {
      const wake = this.#wakeProducer;
      this.#wakeProducer = undefined;
      wake();
    }
  }
}
