import fc from 'fast-check';
import t from 'tap';
import { compareBytes, compareRanges, searchByName } from '../../src/core/bytes.js';

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

t.test('compareRanges orders two ranges as compareBytes orders them cut out', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ max: 2, maxLength: 8 }), fc.nat(8), fc.nat(8), fc.nat(8), fc.nat(8), (buf, a, b, c, d) => {
      const [aFrom, aTo] = [Math.min(a, b) % (buf.length + 1), Math.max(a, b) % (buf.length + 1)].sort((x, y) => x - y) as [number, number];
      const [bFrom, bTo] = [Math.min(c, d) % (buf.length + 1), Math.max(c, d) % (buf.length + 1)].sort((x, y) => x - y) as [number, number];
      const want = compareBytes(buf.subarray(aFrom, aTo), buf.subarray(bFrom, bTo));
      return compareRanges(buf, aFrom, aTo, buf, bFrom, bTo) === want;
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 pairs of ranges');
});

t.test('searchByName finds an index, or where the name would go', async (t) => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.uint8Array({ max: 3, maxLength: 3 }), { selector: (b) => Buffer.from(b).toString('hex') }),
      fc.uint8Array({ max: 3, maxLength: 3 }),
      (raw, k) => {
        const names = raw.map((b) => Buffer.from(b)).sort((a, b) => Buffer.compare(a, b));
        const key = Buffer.from(k);
        const found = names.findIndex((n) => n.equals(key));
        const insertion = names.filter((n) => Buffer.compare(n, key) < 0).length;
        return searchByName(names, key, (n) => n) === (found >= 0 ? found : -insertion - 1);
      },
    ),
  );
  t.equal(
    searchByName([], Buffer.from('a'), (n: Buffer) => n),
    -1,
  );
});
