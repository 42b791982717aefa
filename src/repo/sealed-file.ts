/** Content-addressed sealed files (config, index, snapshots, locks): frame, seal, name by SHA-256. */
import { createHash } from 'node:crypto';
import type { Backend } from '../backend/backend.js';
import { getBounded } from '../backend/get-bounded.js';
import { RozenError, corrupt, invalidArgument, isRozenError } from '../core/errors.js';
import { oneLine } from '../core/one-line.js';
import type { Sealer } from '../cas/sealer-interface.js';
import { decodeFrame, encodeFrame } from '../codec/frame.js';

/** How large a file of one kind may be (FORMAT §1), and its size when a listing gave it. */
export interface SizeBound {
  readonly maxBytes: number;
  readonly size?: number | undefined;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sealFile(sealer: Sealer, aad: Uint8Array, payload: Uint8Array, level: number | false): Uint8Array {
  return sealer.seal(encodeFrame(payload, level), aad);
}

export function openFile(sealer: Sealer, aad: Uint8Array, stored: Uint8Array): Uint8Array {
  return decodeFrame(sealer.open(stored, aad));
}

/** Write `payload` as `<dir>/<sha256 of stored bytes>`; returns the id. Refuses a file over `maxBytes`. */
export async function putSealedFile(
  backend: Backend,
  sealer: Sealer,
  dir: string,
  aad: Uint8Array,
  payload: Uint8Array,
  maxBytes: number,
): Promise<string> {
  const stored = sealFile(sealer, aad, payload, 3);
  if (stored.length > maxBytes) throw invalidArgument(`a file of ${stored.length} bytes in ${dir}/ (at most ${maxBytes})`);
  const id = sha256Hex(stored);
  await backend.put(`${dir}/${id}`, stored);
  return id;
}

/** Read `<dir>/<id>` (refused unread when over the bound), check its hash against the id, open it. */
export async function getSealedFile(
  backend: Backend,
  sealer: Sealer,
  dir: string,
  id: string,
  aad: Uint8Array,
  bound: SizeBound,
): Promise<Uint8Array> {
  const name = `${dir}/${id}`;
  const stored = await getBounded(backend, name, bound.maxBytes, bound.size);
  if (sha256Hex(stored) !== id) throw corrupt(`${oneLine(name)} (content does not match its name)`);
  return openNamed(sealer, aad, stored, name);
}

/** openFile, with a failure naming the file it came from. */
export function openNamed(sealer: Sealer, aad: Uint8Array, stored: Uint8Array, name: string): Uint8Array {
  try {
    return openFile(sealer, aad, stored);
  } catch (err) {
    if (!isRozenError(err, 'CorruptData')) throw err;
    throw new RozenError('CorruptData', `${oneLine(name)}: ${err.message}`, { cause: err });
  }
}
