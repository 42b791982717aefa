/** Streams a degenerate pack (FORMAT §6.2–6.3) to tmp/<random> with bounded memory, then renames it to its id. */
import { randomBytes } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import { invalidArgument, isRozenError, RozenError } from '../core/errors.js';
import { toHex, type BlobId, type PackId } from '../core/ids.js';
import { PackKind, type BlobType, type PackDescription } from '../core/types.js';
import { checkEntry, type PackHeaderEntry } from './pack-header.js';
import { packName } from './pack-path.js';
import { PoolHash } from './pool-hash.js';
import { describePack, encodePackTail } from './pack-tail.js';
import type { Sealer } from './sealer-interface.js';

export interface DegenerateWriterOptions {
  /** 32 random bytes for the tmp/ name. */
  readonly random?: () => Uint8Array;
  /** Sealed blobs that may wait for the backend before add() holds the caller back (default 2). */
  readonly maxQueued?: number;
}

type State = 'open' | 'finishing' | 'done' | 'aborted';

const asBackendError = (err: unknown): RozenError =>
  isRozenError(err) ? err : new RozenError('BackendError', `upload failed: ${String(err)}`, { cause: err });
const interrupted = (): RozenError => new RozenError('Interrupted', 'degenerate pack upload aborted');

export class DegeneratePackWriter {
  readonly tmpName: string;
  readonly #maxQueued: number;
  /** The pack's id, hashed on the pool as pieces are queued (they are written meanwhile). */
  readonly #hash = new PoolHash();
  readonly #entries: PackHeaderEntry[] = [];
  readonly #queue: Uint8Array[] = [];
  #producers: (() => void)[] = [];
  #consumer: (() => void) | undefined;
  #upload: Promise<void> | undefined;
  #failure: RozenError | undefined;
  #state: State = 'open';
  #ended = false;
  #drained = false;
  #size = 0;

  constructor(
    private readonly backend: Backend,
    private readonly sealer: Sealer,
    opts: DegenerateWriterOptions = {},
  ) {
    this.tmpName = `tmp/${toHex((opts.random ?? (() => randomBytes(32)))())}`;
    this.#maxQueued = Math.max(1, opts.maxQueued ?? 2);
  }

  /** Stored bytes of the blobs added so far (the header not counted): compare with degenerateMax. */
  get size(): number {
    return this.#size;
  }

  get count(): number {
    return this.#entries.length;
  }

  /** Sealed blobs handed over but not yet taken by the backend. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues one sealed chunk; resolves when the stream can take more, rejects when the upload failed. */
  async add(id: BlobId, type: BlobType, sealedBlob: Uint8Array, rawLength: number): Promise<void> {
    this.#checkOpen();
    const entry = { id, type, length: sealedBlob.length, rawLength };
    checkEntry(PackKind.degenerate, entry);
    this.#upload ??= this.#startUpload();
    this.#entries.push(entry);
    this.#size += sealedBlob.length;
    this.#enqueue(sealedBlob);
    while (this.#queue.length >= this.#maxQueued && this.#failure === undefined) {
      await new Promise<void>((resolve) => this.#producers.push(resolve));
    }
    // Queued pieces are also held until hashed: the hash may not fall behind the upload by more than the queue.
    await this.#hash.below(this.#maxQueued);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Appends the header, completes the upload and renames it to packs/<hh>/<id>. */
  async finish(): Promise<PackDescription> {
    this.#checkOpen();
    if (this.#entries.length === 0) {
      this.#state = 'aborted';
      throw invalidArgument('degenerate pack writer has no blobs');
    }
    this.#state = 'finishing';
    const header = { kind: PackKind.degenerate, blobs: this.#entries };
    const tail = encodePackTail(this.sealer, header);
    this.#enqueue(tail);
    this.#ended = true;
    this.#wakeConsumer();
    await this.#upload;
    if (this.#failure === undefined && !this.#drained) this.#failure = asBackendError('stream not fully consumed');
    if (this.#failure !== undefined) return this.#fail(this.#failure);
    const id = (await this.#hash.digest()) as PackId;
    await this.backend.rename(this.tmpName, packName(id)).catch((err: unknown) => this.#fail(asBackendError(err)));
    this.#state = 'done';
    return describePack(id, this.#size + tail.length, tail.length, header);
  }

  /** Ends the upload with an error and deletes the tmp object. Safe to call at any time. */
  async abort(): Promise<void> {
    if (this.#state === 'done' || this.#state === 'aborted') return;
    this.#state = 'aborted';
    this.#failure ??= interrupted();
    this.#wakeProducers();
    this.#wakeConsumer();
    if (this.#upload === undefined) return;
    await this.#upload;
    await this.#deleteTmp();
  }

  #checkOpen(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#state !== 'open') throw invalidArgument(`degenerate pack writer is ${this.#state}`);
  }

  async #fail(err: RozenError): Promise<never> {
    this.#state = 'aborted';
    await this.#deleteTmp();
    throw err;
  }

  async #deleteTmp(): Promise<void> {
    await this.backend.delete(this.tmpName).catch(() => undefined);
  }

  #startUpload(): Promise<void> {
    return this.backend.put(this.tmpName, this.#pieces()).then(
      () => undefined,
      async (err: unknown) => {
        this.#failure ??= asBackendError(err);
        this.#wakeProducers();
        await this.#deleteTmp();
      },
    );
  }

  #enqueue(piece: Uint8Array): void {
    this.#hash.update(piece);
    this.#queue.push(piece);
    this.#wakeConsumer();
  }

  async *#pieces(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.#state === 'aborted') throw this.#failure ?? interrupted();
      const piece = this.#queue.shift();
      if (piece !== undefined) {
        this.#wakeProducers();
        yield piece;
      } else if (this.#ended) {
        this.#drained = true;
        return;
      } else {
        await new Promise<void>((resolve) => (this.#consumer = resolve));
      }
    }
  }

  #wakeConsumer(): void {
    const wake = this.#consumer;
    this.#consumer = undefined;
    wake?.();
  }

  #wakeProducers(): void {
    const waiting = this.#producers;
    this.#producers = [];
    for (const wake of waiting) wake();
  }
}
