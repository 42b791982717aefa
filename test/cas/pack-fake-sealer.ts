/** A fast test Sealer with the real overhead (24-byte nonce, 16-byte tag) that detects any changed byte or aad. */
import { createHash, randomBytes } from 'node:crypto';
import type { Sealer } from '../../src/cas/sealer-interface.js';
import { corrupt } from '../../src/core/errors.js';

const NONCE = 24;
const TAG = 16;

function tag(nonce: Uint8Array, aad: Uint8Array, body: Uint8Array): Buffer {
  return createHash('sha256').update(nonce).update(aad).update(body).digest().subarray(0, TAG);
}

function xor(data: Uint8Array, nonce: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ nonce[i % NONCE]!;
  return out;
}

export const fakeSealer: Sealer = {
  seal(plain, aad) {
    const nonce = randomBytes(NONCE);
    const body = xor(plain, nonce);
    return Buffer.concat([nonce, body, tag(nonce, aad, body)]);
  },
  open(sealed, aad) {
    if (sealed.length < NONCE + TAG) throw corrupt('sealed object (too short)');
    const nonce = sealed.subarray(0, NONCE);
    const body = sealed.subarray(NONCE, sealed.length - TAG);
    if (!tag(nonce, aad, body).equals(sealed.subarray(sealed.length - TAG))) throw corrupt('sealed object');
    return xor(body, nonce);
  },
};
