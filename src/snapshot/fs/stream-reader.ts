/** Reading a stream (stdin) into buffers, as SourceReader reads a file. */
import { RozenError } from '../../core/errors.js';

/**
 * Fills buffers from a stream's chunks, copying them in; the stream is pulled only as buffers are
 * filled, so a fast writer waits rather than filling memory. An abort rejects a read that waits on
 * the writer (an idle pipe would otherwise hold an interrupted backup forever).
 */
export class StreamReader {
  readonly #chunks: AsyncIterator<Uint8Array>;
  readonly #aborted: Promise<never> | undefined;
  #rest: Uint8Array = new Uint8Array(0);
  #ended = false;

  constructor(stream: AsyncIterable<Uint8Array>, signal?: AbortSignal) {
    this.#chunks = stream[Symbol.asyncIterator]();
    if (signal !== undefined) {
      this.#aborted = new Promise<never>((_, reject) => {
        const stop = (): void => reject(new RozenError('Interrupted', 'interrupted'));
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      });
      this.#aborted.catch(() => undefined); // rejected in the read that waits, if any
    }
  }

  /** Copies bytes into `buf` until it is full or the stream ends; returns how many. */
  async fill(buf: Buffer): Promise<number> {
    let got = 0;
    while (got < buf.length) {
      if (this.#rest.length === 0) {
        if (this.#ended || !(await this.#pull())) break;
        continue;
      }
      const n = Math.min(this.#rest.length, buf.length - got);
      buf.set(this.#rest.subarray(0, n), got);
      this.#rest = this.#rest.subarray(n);
      got += n;
    }
    return got;
  }

  /** The stream's next chunk into #rest; false at its end. */
  async #pull(): Promise<boolean> {
    const next = this.#chunks.next();
    const r = this.#aborted === undefined ? await next : await Promise.race([next, this.#aborted]);
    if (r.done === true) {
      this.#ended = true;
      return false;
    }
    this.#rest = r.value;
    return true;
  }
}
