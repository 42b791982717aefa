import t from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { compress } from 'zstd-napi';
import { isRozenError } from '../../src/core/errors.js';
import { CompressionId, decodeFrame, encodeFrame } from '../../src/codec/frame.js';
import { throwsCorrupt } from '../helpers/errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const text = (n: number): Uint8Array => {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'backup', 'snapshot', '\n', 'pack', 'index'];
  let s = '';
  for (let i = 0; s.length < n; i++) s += words[(i * 7 + (i >> 3)) % words.length] + ' ';
  return new TextEncoder().encode(s.slice(0, n));
};

t.test('round trip for any data and setting', async () => {
  const data = fc.oneof(fc.uint8Array({ maxLength: 70_000 }), fc.nat(200_000).map(text));
  fc.assert(
    fc.property(data, fc.constantFrom<false | number>(false, 1, 3, 9), (plain, level) => {
      const frame = encodeFrame(plain, level);
      return hex(decodeFrame(frame, plain.length)) === hex(plain) && hex(decodeFrame(frame)) === hex(plain);
    }),
    { numRuns: 80 },
  );
});

t.test('compressible data is stored as zstd, smaller', async (t) => {
  const plain = text(100_000);
  const frame = encodeFrame(plain, 3);
  t.equal(frame[0], CompressionId.zstd);
  t.ok(frame.length < plain.length / 3);
  t.equal(frame.byteLength, frame.buffer.byteLength, 'tight buffer of its own');
});

t.test('incompressible, empty, or compression off is stored raw', async (t) => {
  const random = randomBytes(50_000);
  for (const [plain, level] of [
    [random, 3],
    [random, 19],
    [new Uint8Array(0), 3],
    [text(5000), false],
  ] as const) {
    const frame = encodeFrame(plain, level);
    t.equal(frame[0], CompressionId.none);
    t.equal(frame.length, plain.length + 1);
    t.equal(hex(frame.subarray(1)), hex(plain));
  }
  t.equal(encodeFrame(new Uint8Array([1, 2, 3]), 3)[0], CompressionId.none, 'tiny input does not shrink');
  t.throws(() => encodeFrame(text(100), 2.5), { code: 'InvalidArgument' });
});

t.test('reads zstd frames made by other encoders (no declared size)', async (t) => {
  const plain = text(10_000);
  const streamed = compress(Buffer.from(plain), { contentSizeFlag: false });
  const frame = new Uint8Array(streamed.length + 1);
  frame[0] = 1;
  frame.set(streamed, 1);
  t.equal(hex(decodeFrame(frame)), hex(plain));
  t.equal(hex(decodeFrame(frame, plain.length)), hex(plain));
  t.ok(throwsCorrupt(() => decodeFrame(frame, plain.length - 1)));
  t.ok(throwsCorrupt(() => decodeFrame(frame, plain.length + 1)));
});

t.test('corrupt frames throw CorruptData, never a zstd error', async (t) => {
  const plain = text(20_000);
  const frame = encodeFrame(plain, 3);
  t.ok(
    throwsCorrupt(() => decodeFrame(new Uint8Array(0))),
    'empty',
  );
  t.ok(
    throwsCorrupt(() => decodeFrame(new Uint8Array([2, 1, 2]))),
    'unknown id',
  );
  t.ok(
    throwsCorrupt(() => decodeFrame(new Uint8Array([1]))),
    'empty zstd payload',
  );
  t.ok(
    throwsCorrupt(() => decodeFrame(new Uint8Array([1, 1, 2, 3, 4, 5]))),
    'garbage payload',
  );
  t.ok(
    throwsCorrupt(() => decodeFrame(frame.subarray(0, frame.length - 5))),
    'truncated, unsized',
  );
  t.ok(
    throwsCorrupt(() => decodeFrame(frame.subarray(0, frame.length - 5), plain.length)),
    'truncated, sized',
  );
  t.ok(
    throwsCorrupt(() => decodeFrame(frame, plain.length - 1)),
    'wrong expected length',
  );
  t.ok(
    throwsCorrupt(() => decodeFrame(encodeFrame(plain, false), plain.length + 1)),
    'raw, wrong length',
  );
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, xor, sized) => {
      const bad = frame.slice();
      const i = 1 + (at % (bad.length - 1));
      bad[i]! ^= xor;
      try {
        const out = decodeFrame(bad, sized ? plain.length : undefined);
        return out.length === plain.length; // zstd has no checksum here: sealing is what authenticates
      } catch (err) {
        return isRozenError(err, 'CorruptData');
      }
    }),
    { numRuns: 300 },
  );
});
