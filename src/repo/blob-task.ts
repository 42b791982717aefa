/** The CPU work of storing and loading blobs (hash, compress, seal / open, decompress, verify), run in workers. */
import { blobIdBytes, blobIdOf } from '../crypto/blob-id.js';
import { Sealer } from '../crypto/sealer.js';
import { decodeFrame, encodeFrame } from '../codec/frame.js';
import { corrupt } from '../core/errors.js';
import type { BlobId } from '../core/ids.js';

export interface TaskKeys {
  readonly encKey: Uint8Array;
  readonly idKey: Uint8Array;
}

export interface HashRequest {
  readonly op: 'hash';
  readonly data: Uint8Array;
}

export interface SealRequest {
  readonly op: 'seal';
  readonly data: Uint8Array;
  /** zstd level, or false to store raw. */
  readonly level: number | false;
  /** Known id (from an earlier hash), else computed. */
  readonly id?: BlobId;
}

export interface OpenRequest {
  readonly op: 'open';
  readonly id: BlobId;
  readonly sealed: Uint8Array;
  readonly rawLength: number;
}

export type BlobRequest = HashRequest | SealRequest | OpenRequest;

export interface SealResult {
  readonly id: BlobId;
  readonly sealed: Uint8Array;
  readonly rawLength: number;
  /** Length of the frame before sealing (compressed size + 1), for the codec's statistics. */
  readonly framed: number;
}

/** Runs blob requests with one pair of keys. Pure and synchronous: usable inline or in a worker. */
export class BlobTasks {
  readonly #sealer: Sealer;
  readonly #idKey: Uint8Array;

  constructor(keys: TaskKeys) {
    this.#sealer = new Sealer(keys.encKey);
    this.#idKey = Uint8Array.from(keys.idKey);
  }

  hash(data: Uint8Array): BlobId {
    return blobIdOf(this.#idKey, data);
  }

  seal(req: SealRequest): SealResult {
    const id = req.id ?? this.hash(req.data);
    const frame = encodeFrame(req.data, req.level);
    return { id, sealed: this.#sealer.seal(frame, blobIdBytes(id)), rawLength: req.data.length, framed: frame.length };
  }

  open(req: OpenRequest): Uint8Array {
    const plain = decodeFrame(this.#sealer.open(req.sealed, blobIdBytes(req.id)), req.rawLength);
    if (this.hash(plain) !== req.id) throw corrupt(`blob ${req.id}`);
    return plain;
  }

  run(req: BlobRequest): BlobId | SealResult | Uint8Array {
    switch (req.op) {
      case 'hash':
        return this.hash(req.data);
      case 'seal':
        return this.seal(req);
      case 'open':
        return this.open(req);
    }
  }
}
