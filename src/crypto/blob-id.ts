/** Blob ids: keyed HMAC-SHA-256 of a blob's plaintext, so equal data is found without revealing it. */
import { createHmac } from 'node:crypto';
import { invalidArgument } from '../core/errors.js';
import { type BlobId, fromHex, isHexId } from '../core/ids.js';

/** The id of `data` under the repository's `idKey` (FORMAT §6): 64 lowercase hex chars. */
export function blobIdOf(idKey: Uint8Array, data: Uint8Array): BlobId {
  return createHmac('sha256', idKey).update(data).digest('hex') as BlobId;
}

/** The 32 raw bytes of a blob id, as used for associated data and in binary records. */
export function blobIdBytes(id: BlobId): Uint8Array {
  if (!isHexId(id)) throw invalidArgument(`not a blob id: ${JSON.stringify(id)}`);
  return fromHex(id);
}
