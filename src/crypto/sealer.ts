/** Sealing under the master key's `encKey`, and the associated data that binds each object kind (FORMAT §3). */
import { type Plaintext, open, seal } from './xchacha.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Associated data per object kind; blobs use the 32 raw bytes of their id instead. */
export const AAD = Object.freeze({
  packHeader: ascii('rozen:pack-header'),
  config: ascii('rozen:config'),
  index: ascii('rozen:index'),
  snapshot: ascii('rozen:snapshot'),
  lock: ascii('rozen:lock'),
  key: ascii('rozen:key'),
});

export class Sealer {
  readonly #key: Uint8Array;

  constructor(encKey: Uint8Array) {
    this.#key = Uint8Array.from(encKey);
  }

  /** nonce ‖ ciphertext ‖ tag; several parts are sealed as their concatenation. */
  seal(plain: Plaintext, aad: Uint8Array): Uint8Array {
    return seal(this.#key, plain, aad);
  }

  /** Throws RozenError CorruptData unless `sealed` was sealed by this key with this aad. */
  open(sealed: Uint8Array, aad: Uint8Array): Uint8Array {
    return open(this.#key, sealed, aad);
  }

  /** Zero the key copy, when the repository closes; nothing can be sealed or opened afterwards. */
  wipe(): void {
    this.#key.fill(0);
  }
}
