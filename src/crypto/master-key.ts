/** The repository master key: `encKey` seals everything, `idKey` keys blob ids and the chunker. */
import { randomBytes } from 'node:crypto';
import { corrupt } from '../core/errors.js';
import { KEY_BYTES } from './xchacha.js';

export interface MasterKey {
  readonly encKey: Uint8Array;
  readonly idKey: Uint8Array;
}

export const MASTER_KEY_BYTES = 2 * KEY_BYTES;

export function generateMasterKey(random: (n: number) => Uint8Array = randomBytes): MasterKey {
  const bytes = random(MASTER_KEY_BYTES);
  try {
    return decodeMasterKey(bytes);
  } finally {
    bytes.fill(0);
  }
}

/** Zero both keys, when the repository that held them is closed. */
export function wipeMasterKey(key: MasterKey): void {
  key.encKey.fill(0);
  key.idKey.fill(0);
}

/** `encKey ‖ idKey`, 64 bytes (FORMAT §4). */
export function encodeMasterKey(key: MasterKey): Uint8Array {
  const out = new Uint8Array(MASTER_KEY_BYTES);
  out.set(key.encKey, 0);
  out.set(key.idKey, KEY_BYTES);
  return out;
}

export function decodeMasterKey(bytes: Uint8Array): MasterKey {
  if (bytes.length !== MASTER_KEY_BYTES) throw corrupt('master key (wrong length)');
  // Copies (a Buffer's slice would be a view), so the caller may zero `bytes`.
  return {
    encKey: new Uint8Array(bytes.subarray(0, KEY_BYTES)),
    idKey: new Uint8Array(bytes.subarray(KEY_BYTES, MASTER_KEY_BYTES)),
  };
}
