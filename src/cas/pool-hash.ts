/** SHA-256 of a stream of pieces on the libuv pool (the addon's sha256_pool.c): hashing packs does not hold the JS thread. */
import { addon } from '../core/addon.js';

interface Sha256Native {
  sha256Init(): Buffer;
  sha256Update(state: Buffer, pieces: readonly Uint8Array[]): Promise<void>;
  sha256Final(state: Buffer): Buffer;
}

const native = (): Sha256Native => addon() as Sha256Native;

/** Pieces handed to one job. */
const PIECES_PER_CALL = 4096;

export class PoolHash {
  readonly #state = native().sha256Init();
  #chain: Promise<void> = Promise.resolve();
  /** Updates queued and not yet hashed, oldest first (they finish in order). */
  readonly #queued: Promise<void>[] = [];
  #done = false;

  /**
   * Queues `data` (bytes, or pieces in order) after what came before; the bytes must not change until
   * digest() resolves (they are read where they lie).
   */
  update(data: Uint8Array | readonly Uint8Array[]): this {
    if (this.#done) throw new Error('PoolHash: digest() was already called');
    if (data instanceof Uint8Array) return this.#queue([data]);
    // The addon takes at most 65,536 pieces a call (a pack of tiny blobs has more).
    for (let i = 0; i < data.length; i += PIECES_PER_CALL) this.#queue(data.slice(i, i + PIECES_PER_CALL));
    return this;
  }

  #queue(pieces: readonly Uint8Array[]): this {
    const state = this.#state;
    const run = this.#chain.then(() => native().sha256Update(state, pieces));
    this.#chain = run;
    const queued = run.then(
      () => void this.#queued.shift(),
      () => void this.#queued.shift(),
    );
    this.#queued.push(queued);
    run.catch(() => undefined); // surfaced by digest()
    return this;
  }

  /** Resolves once at most `max` updates wait to be hashed (a producer's back-pressure: queued pieces stay in memory). */
  async below(max: number): Promise<void> {
    while (this.#queued.length > max) await this.#queued[0];
  }

  /** The hash of everything given, in hex, once every update has run. */
  async digest(): Promise<string> {
    if (this.#done) throw new Error('PoolHash: digest() was already called');
    this.#done = true;
    await this.#chain;
    return native().sha256Final(this.#state).toString('hex');
  }
}

/** The SHA-256 of `bytes` in hex, computed on the pool. */
export function sha256OnPool(bytes: Uint8Array): Promise<string> {
  return new PoolHash().update(bytes).digest();
}
