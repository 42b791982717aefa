/** Writes a normal or tree pack (FORMAT §6.1): sealed blobs collected in memory, stored whole on finish. */
import type { Backend } from '../backend/backend.js';
import { invalidArgument } from '../core/errors.js';
import type { BlobId, PackId } from '../core/ids.js';
import type { BlobType, PackDescription, PackKind } from '../core/types.js';
import { checkEntry, type PackHeaderEntry } from './pack-header.js';
import { packName } from './pack-path.js';
import { sha256OnPool } from './pool-hash.js';
import { describePack, encodePackTail } from './pack-tail.js';
import type { Sealer } from './sealer.js';

export class PackWriter {
  #blobs: Uint8Array[] = [];
  readonly #entries: PackHeaderEntry[] = [];
  #size = 0;
  #finished = false;
  /** The whole pack once finish() has joined it (kept for a retry after a failed put). */
  #joined: Buffer | undefined;

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
    if (this.#finished || this.#joined !== undefined) throw invalidArgument('pack writer already finished');
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
    // The blobs are dropped as soon as they are joined (a retry reuses the joined bytes): a
    // finishing pack holds its bytes once, not twice, while it uploads.
    this.#joined ??= Buffer.concat([...this.#blobs, encodePackTail(this.sealer, { kind: this.kind, blobs: this.#entries })]);
    this.#blobs = [];
    const bytes = this.#joined;
    const tailLength = bytes.length - this.#size;
    const id = (await sha256OnPool(bytes)) as PackId;
    try {
      await this.backend.put(packName(id), bytes);
    } catch (err) {
      this.#finished = false;
      throw err;
    }
    this.#joined = undefined;
    return describePack(id, bytes.length, tailLength, { kind: this.kind, blobs: this.#entries });
  }
}
