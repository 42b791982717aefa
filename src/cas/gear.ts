/** The chunker's keyed gear table (FORMAT §8): gear[i] = u32le(HMAC-SHA-256(idKey, "rozen:gear" ‖ u8 i)[0:4]). */
import { createHmac } from 'node:crypto';

const LABEL = Buffer.from('rozen:gear', 'ascii');

export function gearTable(idKey: Uint8Array): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const mac = createHmac('sha256', idKey).update(LABEL).update(Uint8Array.of(i)).digest();
    table[i] = mac.readUInt32LE(0);
  }
  return table;
}
