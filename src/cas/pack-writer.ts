/** Writes a normal or tree pack (FORMAT §6.1): sealed blobs collected in memory, stored whole on finish. */
import { createHash } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import { invalidArgument } from '../core/errors.js';
import type { BlobId, PackId } from '../core/ids.js';
import type { BlobType, PackDescription, PackKind } from '../core/types.js';
import { checkEntry, type PackHeaderEntry } from './pack-header.js';
import { packName } from './pack-path.js';
import { describePack, encodePackTail } from './pack-tail.js';
import type { Sealer } from './sealer.js';

export class PackWriter {
  #blobs: Uint8Array[] = [];
  readonly #entries: PackHeaderEntry[] = [];
  #size = 0;
  #finished = false;

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
    if (this.#finished) throw invalidArgument('pack writer already finished');
    const entry = { id, type, length: sealedBlob.length, rawLength };
    checkEntry(this.kind, entry);
    this.#entries.push(entry);
    this.#blobs.push(sealedBlob);
    this.#size += sealedBlob.length;
  }

  /**
   * Seals the header, stores the pack under its SHA-256 and describes it. Resolves once the put is
   * done; when the put fails the writer stays open, so finish() may be retried.
   */
  async finish(): Promise<PackDescription> {
    if (this.#entries.length === 0) throw invalidArgument('pack writer has no blobs');
    if (this.#finished) throw invalidArgument('pack writer already finished');
    this.#finished = true;
    const tail = encodePackTail(this.sealer, { kind: this.kind, blobs: this.#entries });
    const bytes = Buffer.concat([...this.#blobs, tail]);
    const parts = this.#blobs;
    this.#blobs = [];
    const id = createHash('sha256').update(bytes).digest('hex') as PackId;
    try {
      await this.backend.put(packName(id), bytes);
    } catch (err) {
      this.#blobs = parts;
      this.#finished = false;
      throw err;
    }
    return describePack(id, bytes.length, tail.length, { kind: this.kind, blobs: this.#entries });
  }
}
