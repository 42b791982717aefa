/** Test double for the index tests: an authenticating Sealer (the crypto layer's is not needed here). */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { corrupt } from '../../src/core/errors.js';
import type { Sealer } from '../../src/cas/sealer-interface.js';

/** ChaCha20-Poly1305 with a fixed key: enough to make every changed byte fail `open`. */
export class FakeSealer implements Sealer {
  private readonly key = randomBytes(32);
  seal(plain: Uint8Array, aad: Uint8Array): Uint8Array {
    const nonce = randomBytes(12);
    const c = createCipheriv('chacha20-poly1305', this.key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: plain.length });
    return new Uint8Array(Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]));
  }
  open(sealed: Uint8Array, aad: Uint8Array): Uint8Array {
    if (sealed.length < 28) throw corrupt('sealed object');
    const b = Buffer.from(sealed);
    const d = createDecipheriv('chacha20-poly1305', this.key, b.subarray(0, 12), { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: b.length - 28 });
    d.setAuthTag(b.subarray(b.length - 16));
    try {
      return new Uint8Array(Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]));
    } catch (err) {
      throw corrupt('sealed object', err);
    }
  }
}
