/** Hashing and sealing blobs on the calling thread, in JavaScript (node:crypto): for the few blobs written outside a backup. */
import { blobIdBytes, blobIdOf } from '../crypto/blob-id.js';
import { Sealer } from '../crypto/sealer.js';
import { encodeFrame } from '../codec/frame.js';
import type { BlobId } from '../core/ids.js';
import { nativeKeys } from './native-open.js';
import type { SealedBlob } from './native-seal.js';

export interface TaskKeys {
  readonly encKey: Uint8Array;
  readonly idKey: Uint8Array;
}

export interface SealRequest {
  readonly op: 'seal';
  readonly data: Uint8Array;
  /** zstd level, or false to store raw. */
  readonly level: number | false;
  /** Known id (from an earlier hash), else computed. */
  readonly id?: BlobId;
}

/** What the addon's sealer (native-seal.ts) gives too. */
export type SealResult = SealedBlob;

/** Blob work with one pair of keys. Pure and synchronous. */
export class BlobTasks {
  readonly #sealer: Sealer;
  readonly #idKey: Uint8Array;
  /** Both keys as the addon's blob opener takes them (native-open.ts). */
  readonly nativeKeys: Uint8Array;

  constructor(keys: TaskKeys) {
    this.#sealer = new Sealer(keys.encKey);
    this.#idKey = Uint8Array.from(keys.idKey);
    this.nativeKeys = nativeKeys(keys.encKey, keys.idKey);
  }

  hash(data: Uint8Array): BlobId {
    return blobIdOf(this.#idKey, data);
  }

  seal(req: SealRequest): SealResult {
    const id = req.id ?? this.hash(req.data);
    const frame = encodeFrame(req.data, req.level);
    return { id, sealed: this.#sealer.seal(frame, blobIdBytes(id)), rawLength: req.data.length, framed: frame.length };
  }
}
