/** XChaCha20-Poly1305 (nonce ‖ ciphertext ‖ tag): HChaCha20 subkey from @noble/ciphers, bulk work in Node's native ChaCha20-Poly1305. */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hchacha } from '@noble/ciphers/chacha.js';
import { RozenError, corrupt } from '../core/errors.js';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
/** Bytes a sealed message has beyond its plaintext. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

const ALGORITHM = 'chacha20-poly1305';
/** Native-endian words of "expand 32-byte k", the form noble's hchacha expects. */
const SIGMA = new Uint32Array(new TextEncoder().encode('expand 32-byte k').buffer);
/** Chunk size for the native cipher: output is copied out while still in cache. */
const CHUNK = 64 * 1024;

/** Nonces are cut from a pooled random buffer: one randomBytes call costs about as much as sealing a small blob. */
const NONCE_POOL = 256 * NONCE_BYTES;
let pool = Buffer.alloc(0);
let poolAt = 0;

function randomNonce(): Uint8Array {
  if (poolAt === pool.length) {
    pool = randomBytes(NONCE_POOL);
    poolAt = 0;
  }
  poolAt += NONCE_BYTES;
  return pool.subarray(poolAt - NONCE_BYTES, poolAt);
}

/** Plaintext to seal: one buffer, or several sealed as their concatenation (avoids a copy). */
export type Plaintext = Uint8Array | readonly Uint8Array[];

/**
 * Derive the ChaCha20-Poly1305 key and 12-byte nonce for a 24-byte XChaCha nonce.
 * The word arrays are fresh and 4-byte aligned, so they may be viewed as bytes directly.
 */
function subkeyAndNonce(key: Uint8Array, nonce: Uint8Array): { subkey: Buffer; iv: Buffer } {
  if (key.length !== KEY_BYTES) throw new RozenError('InvalidArgument', `key must be ${KEY_BYTES} bytes`);
  const words = new Uint32Array(8 + 4 + 8);
  const bytes = new Uint8Array(words.buffer);
  bytes.set(key, 0);
  bytes.set(nonce.subarray(0, 16), 32);
  const keyWords = words.subarray(0, 8);
  const subkeyWords = words.subarray(12, 20);
  hchacha(SIGMA, keyWords, words.subarray(8, 12), subkeyWords);
  const iv = Buffer.alloc(12);
  iv.set(nonce.subarray(16, 24), 4);
  const subkey = Buffer.from(bytes.buffer, 48, 32);
  keyWords.fill(0);
  return { subkey, iv };
}

function totalLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/**
 * Seal `plaintext` under a 32-byte key; returns nonce(24) ‖ ciphertext ‖ tag(16) in a buffer of its own
 * (never Node's shared pool, so it can be transferred to another thread).
 */
export function seal(key: Uint8Array, plaintext: Plaintext, aad: Uint8Array, nonce?: Uint8Array): Uint8Array {
  const parts: readonly Uint8Array[] = plaintext instanceof Uint8Array ? [plaintext] : plaintext;
  const n = nonce ?? randomNonce();
  if (n.length !== NONCE_BYTES) throw new RozenError('InvalidArgument', `nonce must be ${NONCE_BYTES} bytes`);
  const { subkey, iv } = subkeyAndNonce(key, n);
  const cipher = createCipheriv(ALGORITHM, subkey, iv, { authTagLength: TAG_BYTES });
  subkey.fill(0);
  const length = totalLength(parts);
  cipher.setAAD(aad, { plaintextLength: length });
  const out = Buffer.allocUnsafeSlow(NONCE_BYTES + length + TAG_BYTES);
  out.set(n, 0);
  let at = NONCE_BYTES;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += CHUNK) {
      const chunk = cipher.update(part.subarray(i, i + CHUNK));
      out.set(chunk, at);
      at += chunk.length;
    }
  }
  cipher.final();
  out.set(cipher.getAuthTag(), at);
  return out;
}

/** Open a sealed message; throws RozenError CorruptData if it is short, altered, or sealed with another key or aad. */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < SEAL_OVERHEAD) throw corrupt('sealed message (too short)');
  const tagAt = sealed.length - TAG_BYTES;
  const { subkey, iv } = subkeyAndNonce(key, sealed.subarray(0, NONCE_BYTES));
  const decipher = createDecipheriv(ALGORITHM, subkey, iv, { authTagLength: TAG_BYTES });
  subkey.fill(0);
  try {
    decipher.setAAD(aad, { plaintextLength: tagAt - NONCE_BYTES });
    decipher.setAuthTag(sealed.subarray(tagAt));
    const plain = decipher.update(sealed.subarray(NONCE_BYTES, tagAt));
    decipher.final();
    return plain;
  } catch (err) {
    throw corrupt('sealed message', err);
  }
}
