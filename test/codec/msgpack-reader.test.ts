/** MsgReader: skipping any value, and the integer readers against the msgpack spec's encodings. */
import t from 'tap';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { MsgReader } from '../../src/codec/msgpack-reader.js';

const packr = new Packr({ useRecords: false, variableMapSize: true, int64AsType: 'bigint' });
const fail = (what: string): Error => Object.assign(new Error(what), { code: 'Bad' });

t.test('skipValue moves past exactly one value of any type', async (t) => {
  const value = fc
    .anything({
      withBigInt: true,
      withTypedArray: false,
      withMap: true,
      withDate: true,
      withNullPrototype: false,
      maxDepth: 3,
    })
    .filter((v) => {
      try {
        packr.pack(v);
        return true;
      } catch {
        return false;
      }
    });
  fc.assert(
    fc.property(value, fc.uint8Array({ maxLength: 300 }), (v, raw) => {
      for (const item of [v, Buffer.from(raw), 'x'.repeat(raw.length), [raw.length, -raw.length, raw.length * 1e6]]) {
        const bytes = Buffer.concat([packr.pack(item), Buffer.from([0xc0])]);
        const r = new MsgReader(bytes, fail);
        r.skipValue('v');
        r.skipValue('nil');
        if (!r.done) return false;
        // Cut anywhere inside the value: skipping must fail, not run past the end.
        const cut = new MsgReader(bytes.subarray(0, Math.max(0, bytes.length - 2)), fail);
        t.throws(() => cut.skipValue('v'));
      }
      return true;
    }),
    { numRuns: 300 },
  );
  // Large containers and strings (16- and 32-bit lengths) and ext values.
  for (const v of [
    new Array(70000).fill(1),
    Object.fromEntries(Array.from({ length: 70000 }, (_, i) => [`k${i}`, i])),
    'y'.repeat(70000),
    Buffer.alloc(70000),
    new Date(0),
  ]) {
    const r = new MsgReader(packr.pack(v), fail);
    r.skipValue('big');
    t.ok(r.done);
  }
  for (const hex of ['d40100', 'd5010000', 'c70101aa', 'c8000101aa', 'c90000000101aa', 'd801' + '00'.repeat(16)]) {
    const r = new MsgReader(Buffer.from(hex, 'hex'), fail);
    r.skipValue('ext');
    t.ok(r.done, hex);
  }
  t.throws(() => new MsgReader(Buffer.from([0xc1]), fail).skipValue('never'), { message: 'never' });
});

t.test('uint and int64 read every integer encoding and refuse what is out of range', async (t) => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), (v) => {
      // msgpackr writes numbers beyond the 32-bit ranges as floats: give it those as bigints.
      const bytes = packr.pack(v <= 0xffffffffn && v >= -(2n ** 31n) ? Number(v) : v);
      const int = (): bigint => new MsgReader(bytes, fail).int64('i');
      const uint = (): number => new MsgReader(bytes, fail).uint('u');
      if (v <= 2n ** 63n - 1n) t.equal(int(), v);
      else t.throws(int);
      if (v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) t.equal(uint(), Number(v));
      else t.throws(uint);
    }),
    { numRuns: 500 },
  );
  for (const [hex, v] of [
    ['d07f', 127],
    ['d1007f', 127],
    ['d20000007f', 127],
    ['cf000000000000007f', 127],
    ['d3000000000000007f', 127],
  ] as const) {
    t.equal(new MsgReader(Buffer.from(hex, 'hex'), fail).uint('u'), v, hex);
    t.equal(new MsgReader(Buffer.from(hex, 'hex'), fail).int64('i'), BigInt(v), hex);
  }
  for (const hex of ['ff', 'd0ff', 'd1ffff', 'd2ffffffff', 'cb3ff0000000000000', 'c0', 'a1', 'd3']) {
    t.throws(() => new MsgReader(Buffer.from(hex, 'hex'), fail).uint('u'), { message: 'u' }, hex);
  }
  t.equal(new MsgReader(Buffer.from('ff', 'hex'), fail).int64('i'), -1n);
  t.equal(new MsgReader(Buffer.from('d0ff', 'hex'), fail).int64('i'), -1n);
  t.throws(() => new MsgReader(Buffer.from('cb3ff0000000000000', 'hex'), fail).int64('i'));
});

t.test('headers, keys, strings and bins', async (t) => {
  const r = new MsgReader(
    packr.pack(
      new Map<unknown, unknown>([
        ['n', Buffer.from('ab')],
        ['mt', 'é'],
        ['long', Buffer.alloc(32, 1)],
      ]),
    ),
    fail,
  );
  t.equal(r.mapHeader('m'), 3);
  t.equal(r.shortKey('k'), 0x6e);
  t.same(r.binView('b'), Buffer.from('ab'));
  t.equal(r.shortKey('k'), 0x6d74);
  t.equal(r.str('s'), 'é');
  t.equal(r.shortKey('k'), -1, 'a longer key');
  t.equal(r.binHex(32, 'h'), '01'.repeat(32));
  t.ok(r.done);
  t.throws(() => new MsgReader(packr.pack(Buffer.alloc(31)), fail).binHex(32, 'h'), { message: 'h' });
  t.throws(() => new MsgReader(packr.pack([1]), fail).mapHeader('m'), { message: 'm' });
  t.throws(() => new MsgReader(packr.pack(new Map([[1, 2]])), fail).arrayHeader('a'), { message: 'a' });
  t.throws(() => new MsgReader(packr.pack(new Map([[1, 2]])), fail).shortKey('k'), { message: 'k' }, 'a key that is no string');
  t.equal(new MsgReader(packr.pack(new Array(20).fill(0)), fail).arrayHeader('a'), 20);
  t.equal(new MsgReader(packr.pack(new Map(Array.from({ length: 20 }, (_, i) => [i, i]))), fail).mapHeader('m'), 20);
});

t.test('strRepeated reads what str reads, whatever repeats', async (t) => {
  const word = fc.oneof(fc.constantFrom('root', 'rooz', 'wheel', 'é', ''), fc.string({ maxLength: 80 }));
  fc.assert(
    fc.property(fc.array(word, { maxLength: 30 }), (words) => {
      const r = new MsgReader(packr.pack(words), fail);
      const n = r.arrayHeader('a');
      const got = Array.from({ length: n }, () => r.strRepeated('s'));
      return r.done && got.length === words.length && got.every((w, i) => w === words[i]);
    }),
  );
  t.throws(() => new MsgReader(packr.pack(1), fail).strRepeated('s'), { message: 's' });
});
