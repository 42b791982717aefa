import t from 'tap';
import fc from 'fast-check';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { blobIdBytes, blobIdOf } from '../../src/crypto/blob-id.js';
import type { BlobId } from '../../src/core/ids.js';

t.test('blob id is hex HMAC-SHA-256 under idKey', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 5000 }), (key, data) => {
      const id = blobIdOf(key, data);
      return id === Buffer.from(hmac(sha256, key, data)).toString('hex') && Buffer.from(blobIdBytes(id)).toString('hex') === id;
    }),
    { numRuns: 100 },
  );
  // RFC 4231 test case 2
  const id = blobIdOf(new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'));
  t.equal(id, '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});

t.test('different keys give different ids for the same data', async (t) => {
  const data = new TextEncoder().encode('same');
  t.not(blobIdOf(new Uint8Array(32), data), blobIdOf(new Uint8Array(32).fill(1), data));
});

t.test('blobIdBytes rejects non-ids', async (t) => {
  t.throws(() => blobIdBytes('abc' as BlobId), { code: 'InvalidArgument' });
  t.throws(() => blobIdBytes('A'.repeat(64) as BlobId), { code: 'InvalidArgument' });
});
