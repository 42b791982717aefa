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
