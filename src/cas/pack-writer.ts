/** Writes a normal or tree pack (FORMAT §6.1): sealed blobs collected in memory, stored whole on finish. */
import type { Backend } from '../backend/backend.js';
import { invalidArgument } from '../core/errors.js';
import type { BlobId, PackId } from '../core/ids.js';
import type { BlobType, PackDescription, PackKind } from '../core/types.js';
import { checkEntry, type PackHeaderEntry } from './pack-header.js';
import { packName } from './pack-path.js';
import { PoolHash } from './pool-hash.js';
import { describePack, encodePackTail } from './pack-tail.js';
import type { Sealer } from './sealer-interface.js';

export class PackWriter {
  #blobs: Uint8Array[] = [];
  readonly #entries: PackHeaderEntry[] = [];
  #size = 0;
  #finished = false;
  /** The sealed header once finish() has made it (kept, with the blobs, for a retry after a failed put). */
  #tail: Uint8Array | undefined;

  constructor(
    private readonly backend: Backend,
    private readonly sealer: Sealer,
    readonly kind: PackKind,
  ) {}

  /** Stored bytes of the blobs added so far (the header not counted): compare with the target pack size. */
  get size(): number {
    return this.#size;
  }

  get count(): number {
    return this.#entries.length;
  }

  /** Appends one sealed blob; the writer keeps a reference, so the caller must not modify it. */
  add(id: BlobId, type: BlobType, sealedBlob: Uint8Array, rawLength: number): void {
    if (this.#finished || this.#tail !== undefined) throw invalidArgument('pack writer already finished');
    const entry = { id, type, length: sealedBlob.length, rawLength };
    checkEntry(this.kind, entry);
    this.#entries.push(entry);
    this.#blobs.push(sealedBlob);
    this.#size += sealedBlob.length;
  }

  /**
   * Seals the header, stores the pack under its SHA-256 and describes it. Resolves once the put is
   * done; when the put fails, finish() may be retried (no blobs may be added any more).
   */
  async finish(): Promise<PackDescription> {
    if (this.#entries.length === 0) throw invalidArgument('pack writer has no blobs');
    if (this.#finished) throw invalidArgument('pack writer already finished');
    this.#finished = true;
    // The pack is stored as its pieces, never joined into a second copy (a local backend writes them
    // with writev); the hash of the pieces runs on the libuv pool.
    this.#tail ??= encodePackTail(this.sealer, { kind: this.kind, blobs: this.#entries });
    const pieces = [...this.#blobs, this.#tail];
    const id = (await new PoolHash().update(pieces).digest()) as PackId;
    try {
      await this.backend.put(packName(id), pieces);
    } catch (err) {
      this.#finished = false;
      throw err;
    }
    const size = this.#size + this.#tail.length;
    this.#blobs = [];
    return describePack(id, size, this.#tail.length, { kind: this.kind, blobs: this.#entries });
  }
}
