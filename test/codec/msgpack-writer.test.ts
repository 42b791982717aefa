/** MsgWriter writes what msgpackr writes for the canonical forms of FORMAT §9.2, and reads back through MsgReader. */
import t from 'tap';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { MsgReader } from '../../src/codec/msgpack-reader.js';
import { MsgWriter } from '../../src/codec/msgpack-writer.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const fail = (what: string): Error => new Error(what);

t.test('headers, strings, bins and uints at every size boundary match msgpackr', async (t) => {
  const w = new MsgWriter();
  const same = (what: string, write: () => void, value: unknown): void => {
    write();
    t.ok(Buffer.from(w.take()).equals(packr.pack(value)), what);
  };
  for (const n of [0, 1, 15, 16, 255, 256, 65535, 65536]) {
    same(
      `array of ${n}`,
      () => {
        w.arrayHeader(n);
        for (let i = 0; i < n; i++) w.uint(0);
      },
      new Array(n).fill(0),
    );
    same(
      `map of ${n}`,
      () => {
        w.mapHeader(n);
        for (let i = 0; i < n; i++) {
          w.str(`k${i}`);
          w.uint(i);
        }
      },
      new Map(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
    );
  }
  for (const n of [0, 1, 31, 32, 255, 256, 65535, 65536]) {
    same(`str of ${n}`, () => w.str('é'.repeat(n >> 1) + 'x'.repeat(n & 1)), 'é'.repeat(n >> 1) + 'x'.repeat(n & 1));
    same(`bin of ${n}`, () => w.bin(Buffer.alloc(n, 7)), Buffer.alloc(n, 7));
    same(`hex bin of ${n}`, () => w.binHex('07'.repeat(n)), Buffer.alloc(n, 7));
  }
  for (const v of [0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffffff]) same(`uint ${v}`, () => w.uint(v), v);
  same('a short key', () => w.key('mt'), 'mt');
});

t.test('integers read back as written; int64 is always 0xd3', async (t) => {
  const w = new MsgWriter();
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (big, n) => {
      w.int64(big);
      w.uint(n);
      const bytes = w.take();
      t.equal(bytes[0], 0xd3);
      const r = new MsgReader(bytes, fail);
      return r.int64('i') === big && r.uint('u') === n && r.done;
    }),
    { numRuns: 500 },
  );
  t.same([...w.take()], [], 'take leaves the writer empty');
  for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN]) t.throws(() => w.uint(bad), { code: 'InvalidArgument' }, `uint ${bad}`);
  t.throws(() => w.int64(2n ** 63n), { code: 'InvalidArgument' });
  t.throws(() => w.binHex('0g'), { code: 'InvalidArgument' });
  w.reset();
  w.bin(Buffer.alloc(200_000, 1)); // grows past its first buffer
  t.equal(w.take().length, 200_005);
});

t.test('strings remembered encoded and ids written from hex stay what msgpackr writes, over any sequence', async (t) => {
  const pool = fc.oneof(
    fc.constantFrom('alice', 'staff', 'root', 'é', ''),
    fc.string({ maxLength: 70, unit: 'grapheme' }),
    fc.integer({ min: 0, max: 80 }).map((i) => `user${i}`),
  );
  fc.assert(
    fc.property(fc.array(fc.oneof(pool, fc.uint8Array({ minLength: 0, maxLength: 40 })), { maxLength: 120 }), (items) => {
      const w = new MsgWriter();
      for (const item of items) {
        if (typeof item === 'string') w.str(item);
        else w.binHex(Buffer.from(item).toString('hex'));
      }
      const want = Buffer.concat(items.map((item) => packr.pack(typeof item === 'string' ? item : Buffer.from(item))));
      if (!Buffer.from(w.take()).equals(want)) throw new Error('bytes differ from msgpackr');
    }),
    { numRuns: 300 },
  );
  const w = new MsgWriter();
  w.binHex('0aFf');
  t.same([...w.take()], [0xc4, 2, 0x0a, 0xff], 'upper and lower case digits');
  for (const bad of ['0g', 'zz00', '0', '000', '0\u0100', '\u00e90']) {
    t.throws(() => w.binHex(bad), `refused: ${JSON.stringify(bad)}`);
    w.reset();
  }
});
