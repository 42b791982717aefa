import fc from 'fast-check';
import t from 'tap';
import { compareBytes } from '../../src/core/bytes.js';

t.test('compareBytes orders as Buffer.compare does', async (t) => {
  t.equal(compareBytes(Buffer.from('a'), Buffer.from('a')), 0);
  t.equal(compareBytes(Buffer.from('a'), Buffer.from('ab')), -1);
  t.equal(compareBytes(Buffer.from([0xff]), Buffer.from([0x01, 0x00])), 1);
  fc.assert(
    // A shared prefix and tails from a small alphabet: equal bytes, prefixes and first differences all come up.
    fc.property(
      fc.uint8Array({ maxLength: 6 }),
      fc.uint8Array({ max: 2, maxLength: 4 }),
      fc.uint8Array({ max: 2, maxLength: 4 }),
      (p, x, y) => {
        const [a, b] = [Buffer.concat([p, x]), Buffer.concat([p, y])];
        return compareBytes(a, b) === Buffer.compare(a, b) && compareBytes(b, a) === Buffer.compare(b, a);
      },
    ),
    { numRuns: 2000 },
  );
});
