/** Content-addressed sealed files (config, index, snapshots, locks): frame, seal, name by SHA-256. */
import { createHash } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import { corrupt } from '../core/errors.js';
import type { Sealer } from '../cas/sealer.js';
import { decodeFrame, encodeFrame } from '../codec/frame.js';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sealFile(sealer: Sealer, aad: Uint8Array, payload: Uint8Array, level: number | false): Uint8Array {
  return sealer.seal(encodeFrame(payload, level), aad);
}

export function openFile(sealer: Sealer, aad: Uint8Array, stored: Uint8Array): Uint8Array {
  return decodeFrame(sealer.open(stored, aad));
}

/** Write `payload` as `<dir>/<sha256 of stored bytes>`; returns the id. */
export async function putSealedFile(
  backend: Backend, sealer: Sealer, dir: string, aad: Uint8Array, payload: Uint8Array,
): Promise<string> {
  const stored = sealFile(sealer, aad, payload, 3);
  const id = sha256Hex(stored);
  await backend.put(`${dir}/${id}`, stored);
  return id;
}

/** Read `<dir>/<id>`, check its hash against the id, open it. */
export async function getSealedFile(
  backend: Backend, sealer: Sealer, dir: string, id: string, aad: Uint8Array,
): Promise<Uint8Array> {
  const stored = await backend.get(`${dir}/${id}`);
  if (sha256Hex(stored) !== id) throw corrupt(`${dir}/${id}`);
  return openFile(sealer, aad, stored);
}
