import fc from 'fast-check';
import t from 'tap';
import { invalidUtf8Bytes, servedName, unescapeName } from '../../src/fuse/name-escape.js';

const nameBytes = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => b.map((x) => (x === 0 || x === 0x2f ? 0x41 : x)));
const escapeHeavy = fc
  .array(fc.constantFrom('\\', 'x', 'f', '0', 'a', 'é', '\\x', '\\\\', '\\xff', '\uFFFD'), { minLength: 1, maxLength: 12 })
  .map((parts) => Buffer.from(parts.join('')));

t.test('served names decode back to the raw bytes', async (t) => {
  for (const arb of [nameBytes, escapeHeavy]) {
    fc.assert(
      fc.property(arb, (raw) => {
        const served = servedName(raw);
        return Buffer.compare(unescapeName(served), Buffer.from(raw)) === 0 && Buffer.from(served, 'utf8').toString('utf8') === served;
      }),
      { numRuns: 2000 },
    );
  }
});

t.test('served names are valid UTF-8 without / or NUL', async (t) => {
  fc.assert(
    fc.property(nameBytes, (raw) => {
      const served = Buffer.from(servedName(raw), 'utf8');
      return invalidUtf8Bytes(served).size === 0 && !served.includes(0) && !served.includes(0x2f);
    }),
  );
});

t.test('ordinary names are served unchanged', async (t) => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }).filter((s) => !s.includes('\\') && !/[\uD800-\uDFFF]/.test(s)), (s) => servedName(Buffer.from(s)) === s),
  );
  t.equal(servedName(Buffer.from('a\\b')), 'a\\b', 'a lone backslash is kept');
  t.equal(servedName(Buffer.from('a\\xFF')), 'a\\xFF', 'uppercase hex is not an escape');
});

t.test('examples', async (t) => {
  t.equal(servedName(Buffer.from([0x66, 0xff, 0x6f])), 'f\\xffo');
  t.equal(servedName(Buffer.from('lit\\x41')), 'lit\\\\x41');
  t.equal(servedName(Buffer.from([0xc3])), '\\xc3', 'a truncated sequence');
  t.equal(servedName(Buffer.from([0xed, 0xa0, 0x80])), '\\xed\\xa0\\x80', 'an encoded surrogate');
  t.equal(servedName(Buffer.from([0xc0, 0xaf])), '\\xc0\\xaf', 'an overlong slash');
  t.equal(servedName(Buffer.from('日本')), '日本');
  t.same(unescapeName('f\\xffo'), Buffer.from([0x66, 0xff, 0x6f]));
});
