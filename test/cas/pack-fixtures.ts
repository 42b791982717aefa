/** Shared helpers for CAS tests: keyed blob ids and sealed blobs as the layers above would make them. */
import { createHmac } from 'node:crypto';
import type { Sealer } from '../../src/cas/sealer-interface.js';
import { fromHex, type BlobId } from '../../src/core/ids.js';

const ID_KEY = Buffer.alloc(32, 3);

export function blobId(plain: Uint8Array): BlobId {
  return createHmac('sha256', ID_KEY).update(plain).digest('hex') as BlobId;
}

/** seal(frame(plain), id) with compression id 0, as FORMAT §3 frames every blob. */
export function sealBlob(sealer: Sealer, id: BlobId, plain: Uint8Array): Uint8Array {
  return sealer.seal(Buffer.concat([Buffer.from([0]), plain]), fromHex(id));
}

export function openBlob(sealer: Sealer, id: BlobId, sealed: Uint8Array): Uint8Array {
  const framed = sealer.open(sealed, fromHex(id));
  if (framed[0] !== 0) throw new Error('unexpected frame');
  return framed.subarray(1);
}

/** Byte equality without a slow element-by-element deep compare. */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
