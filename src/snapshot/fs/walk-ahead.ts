/**
 * A walk started before its consumer is ready: a backup begins scanning the disk while the
 * repository is still being opened (scrypt's key derivation alone is a noticeable wait), and
 * keeps a bounded number of events, with the errors reported among them, until they are taken.
 */
import { type WalkError, type WalkEvent, type WalkOptions, eventsOf, walkRuns } from './walk.js';

type Item = WalkEvent | WalkError;

/**
 * Events kept before the walk pauses once the consumer takes them. An initial backup, whose
 * consumer is slow, holds the buffer full the whole run: a larger one (with its directories'
 * scans) would only raise its peak RSS.
 */
const DEFAULT_LIMIT = 1024;
/**
 * Events kept before the consumer has started (the key derivation and the index cache opening):
 * with 1,024 the walk stood still for most of the key derivation. The consumer's first turns take
 * them down to DEFAULT_LIMIT before the walk goes on.
 */
const LIMIT_BEFORE_START = 16384;

export class WalkAhead {
  /** Events and errors not taken yet. */
  #items: Item[] = [];
  #done = false;
  #stopped = false;
  #started = false;
  #failure: { readonly err: unknown } | undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;
  #xattrsBefore: bigint | undefined;
  /** Taken before the walk's first scan. */
  readonly startedAt = new Date();

  /** `limit`: events kept once the consumer takes them; `startLimit`: before it starts (at least `limit`). */
  constructor(
    roots: readonly string[],
    opts: Omit<WalkOptions, 'onError'>,
    private readonly limit = DEFAULT_LIMIT,
    private readonly startLimit = LIMIT_BEFORE_START,
  ) {
    void this.#run(walkRuns(roots, { ...opts, xattrsBefore: () => this.#xattrsBefore }));
  }

  /** From now on, entries whose ctime (ns) is before `ns` are scanned without their xattrs (WalkOptions.xattrsBefore). */
  skipXattrsBefore(ns: bigint): void {
    this.#xattrsBefore = ns;
  }

  /** The walk's events in order; errors among them go to `onError` as the walk reported them. Call once. */
  events(onError: (path: Buffer, err: Error) => void): AsyncGenerator<WalkEvent> {
    return eventsOf(this.batches(), onError);
  }

  /**
   * The walk's events and errors in order, as the runs of them that are ready when the consumer asks: one turn
   * of the consumer per run rather than per event (a backup takes tens of thousands). Call once.
   */
  async *batches(): AsyncGenerator<(WalkEvent | WalkError)[]> {
    this.#started = true;
    for (;;) {
      if (this.#items.length > 0) {
        const batch = this.#items;
        this.#items = [];
        this.#wakeWalk();
        yield batch;
        continue;
      }
      if (this.#done) {
        if (this.#failure) throw this.#failure.err;
        return;
      }
      await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
    }
  }

  /** What the walk is doing: walking, paused until events are taken, or ended (finished, failed or stopped). */
  get state(): 'walking' | 'paused' | 'ended' {
    if (this.#done) return 'ended';
    return this.#wakeProducer === undefined ? 'walking' : 'paused';
  }

  /** Stops walking (the consumer gave up); events not taken are dropped. */
  stop(): void {
    this.#stopped = true;
    this.#wake();
  }

  async #run(runs: AsyncGenerator<Item[]>): Promise<void> {
    try {
      for await (const run of runs) {
        this.#push(...run);
        while (!this.#stopped && this.#items.length >= this.#limit()) {
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

  #push(...items: Item[]): void {
    for (const item of items) this.#items.push(item);
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    wake?.();
  }

  #wake(): void {
    for (const wake of [this.#wakeConsumer, this.#wakeProducer]) wake?.();
    this.#wakeConsumer = undefined;
    this.#wakeProducer = undefined;
  }

  /** Lets a paused walk go on (the consumer took what it had). */
  #wakeWalk(): void {
    const wake = this.#wakeProducer;
    this.#wakeProducer = undefined;
    wake?.();
  }
}
