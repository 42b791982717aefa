import t from 'tap';
import fc from 'fast-check';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { NONCE_BYTES, SEAL_OVERHEAD, open, seal } from '../../src/crypto/xchacha.js';
import { throwsCorrupt } from '../helpers/errors.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (n: number, max = n): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: max });

t.test('draft-irtf-cfrg-xchacha-03 §A.3.1 test vector', async (t) => {
  const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = hex('404142434445464748494a4b4c4d4e4f5051525354555657');
  const aad = hex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const expected =
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb' +
    '731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
    '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9' +
    '21f9664c97637da9768812f615c68b13b52e' +
    'c0875924c1c7987947deafd8780acf49';
  const sealed = seal(key, plaintext, aad, nonce);
  t.equal(toHex(sealed), toHex(nonce) + expected);
  t.equal(toHex(open(key, sealed, aad)), toHex(plaintext));
});

t.test('byte-identical to @noble/ciphers xchacha20poly1305', async () => {
  fc.assert(
    fc.property(bytes(32), bytes(24), bytes(0, 64), bytes(0, 100 * 1024), (key, nonce, aad, plain) => {
      const sealed = seal(key, plain, aad, nonce);
      const reference = xchacha20poly1305(key, nonce, aad).encrypt(plain);
      return toHex(sealed.subarray(0, NONCE_BYTES)) === toHex(nonce) && toHex(sealed.subarray(NONCE_BYTES)) === toHex(reference);
    }),
    { numRuns: 60 },
  );
});

t.test('sealing several parts equals sealing their concatenation', async () => {
  fc.assert(
    fc.property(bytes(32), bytes(24), fc.array(bytes(0, 70 * 1024), { maxLength: 4 }), (key, nonce, parts) => {
      const whole = new Uint8Array(Buffer.concat(parts));
      return toHex(seal(key, parts, new Uint8Array(0), nonce)) === toHex(seal(key, whole, new Uint8Array(0), nonce));
    }),
    { numRuns: 30 },
  );
});

t.test('round trip with random nonces', async (t) => {
  fc.assert(
    fc.property(bytes(32), bytes(0, 32), bytes(0, 100 * 1024), (key, aad, plain) => {
      const sealed = seal(key, plain, aad);
      return sealed.length === plain.length + SEAL_OVERHEAD && toHex(open(key, sealed, aad)) === toHex(plain);
    }),
    { numRuns: 60 },
  );
  const key = new Uint8Array(32);
  const a = seal(key, new Uint8Array(10), new Uint8Array(0));
  const b = seal(key, new Uint8Array(10), new Uint8Array(0));
  t.not(toHex(a.subarray(0, NONCE_BYTES)), toHex(b.subarray(0, NONCE_BYTES)), 'fresh nonce per message');
});

t.test('any changed byte makes open throw CorruptData', async () => {
  fc.assert(
    fc.property(bytes(32), bytes(0, 16), bytes(0, 300), fc.nat(), fc.integer({ min: 1, max: 255 }), (key, aad, plain, at, xor) => {
      const sealed = seal(key, plain, aad);
      sealed[at % sealed.length]! ^= xor;
      return throwsCorrupt(() => open(key, sealed, aad));
    }),
    { numRuns: 300 },
  );
});

t.test('wrong aad, wrong key and short input fail with CorruptData', async (t) => {
  const key = new Uint8Array(32).fill(7);
  const sealed = seal(key, new TextEncoder().encode('hello'), new TextEncoder().encode('a'));
  t.ok(throwsCorrupt(() => open(key, sealed, new TextEncoder().encode('b'))));
  t.ok(throwsCorrupt(() => open(new Uint8Array(32), sealed, new TextEncoder().encode('a'))));
  for (const n of [0, 1, 23, 24, 39])
    t.ok(
      throwsCorrupt(() => open(key, sealed.subarray(0, n), new Uint8Array(0))),
      `length ${n}`,
    );
  t.ok(
    throwsCorrupt(() => open(key, sealed.subarray(0, sealed.length - 1), new TextEncoder().encode('a'))),
    'truncated',
  );
  const empty = seal(key, new Uint8Array(0), new Uint8Array(0));
  t.equal(empty.length, SEAL_OVERHEAD);
  t.equal(open(key, empty, new Uint8Array(0)).length, 0);
});

t.test('rejects keys and nonces of the wrong size', async (t) => {
  t.throws(() => seal(new Uint8Array(31), new Uint8Array(1), new Uint8Array(0)), { code: 'InvalidArgument' });
  t.throws(() => seal(new Uint8Array(32), new Uint8Array(1), new Uint8Array(0), new Uint8Array(12)), { code: 'InvalidArgument' });
});

t.test('works on unaligned views of larger buffers', async (t) => {
  const big = new Uint8Array(200).map((_, i) => i);
  const key = big.subarray(3, 35);
  const nonce = big.subarray(41, 65);
  const plain = big.subarray(1, 150);
  const aad = big.subarray(5, 9);
  const sealed = seal(key, plain, aad, nonce);
  t.equal(toHex(sealed.subarray(NONCE_BYTES)), toHex(xchacha20poly1305(key.slice(), nonce.slice(), aad.slice()).encrypt(plain.slice())));
  const shifted = new Uint8Array(sealed.length + 1);
  shifted.set(sealed, 1);
  t.equal(toHex(open(key, shifted.subarray(1), aad)), toHex(plain));
});

t.test('sealed output owns its buffer (transferable)', async (t) => {
  const sealed = seal(new Uint8Array(32), new Uint8Array(5), new Uint8Array(0));
  t.equal(sealed.buffer.byteLength, sealed.byteLength);
});
