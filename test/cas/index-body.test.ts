import t from 'tap';
import fc from 'fast-check';
import type { PackDescription } from '../../src/core/types.js';
import { BLOB_ENTRY, decodeIndexBody, encodeIndexBody, encodedPack, type EncodedPack } from '../../src/cas/index-body.js';
import { makePack, packsArb } from './index-arbitraries.js';

const corruptCode = { code: 'CorruptData' };

t.test('encode/decode round trip', async (t) => {
  fc.assert(
    fc.property(packsArb, (packs) => {
      const body = encodeIndexBody(packs);
      t.same(decodeIndexBody(body), packs);
    }),
  );
});

t.test('layout matches FORMAT §7', async (t) => {
  const pack = makePack(2);
  const body = Buffer.from(encodeIndexBody([pack]));
  t.equal(body.length, 1 + 4 + 43 + 2 * 47);
  t.equal(body[0], 1);
  t.equal(body.readUInt32LE(1), 1);
  t.equal(body.subarray(5, 37).toString('hex'), pack.id);
  t.equal(body.readUIntLE(38, 6), pack.size);
  t.equal(body.readUInt32LE(44), 2);
  const blob = pack.blobs[1];
  t.equal(body.subarray(48 + 47, 48 + 47 + 32).toString('hex'), blob?.id);
  t.equal(body.readUIntLE(48 + 47 + 33, 6), blob?.offset);
  t.equal(body.readUInt32LE(48 + 47 + 43), blob?.rawLength);
});

t.test('every truncation and any trailing byte is rejected', async (t) => {
  const body = encodeIndexBody([makePack(3), makePack(1)]);
  for (let n = 0; n < body.length; n++) t.throws(() => decodeIndexBody(body.subarray(0, n)), corruptCode);
  const longer = new Uint8Array(body.length + 1);
  longer.set(body);
  t.throws(() => decodeIndexBody(longer), corruptCode);
});

t.test('invalid fields are rejected', async (t) => {
  const pack = makePack(1);
  const body = (): Buffer => Buffer.from(encodeIndexBody([pack]));
  const cases: [string, (b: Buffer) => void][] = [
    ['version', (b) => (b[0] = 2)],
    ['pack kind', (b) => (b[37] = 3)],
    ['blob type', (b) => (b[48 + 32] = 2)],
    ['blob outside pack', (b) => b.writeUIntLE(1, 38, 6)],
    ['huge pack count', (b) => b.writeUInt32LE(0xffff_ffff, 1)],
    ['huge blob count', (b) => b.writeUInt32LE(0xffff_ffff, 44)],
  ];
  for (const [name, mutate] of cases) {
    const b = body();
    mutate(b);
    t.throws(() => decodeIndexBody(b), corruptCode, name);
  }
  const twice = Buffer.concat([Buffer.from([1, 2, 0, 0, 0]), body().subarray(5), body().subarray(5)]);
  t.throws(() => decodeIndexBody(twice), corruptCode, 'duplicate pack');
});

t.test('encode rejects what the format cannot hold', async (t) => {
  const pack = makePack(1);
  const bad: PackDescription[][] = [
    [{ ...pack, id: 'xyz' as PackDescription['id'] }],
    [{ ...pack, size: 2 ** 48 }],
    [{ ...pack, kind: 7 as PackDescription['kind'] }],
    [{ ...pack, blobs: [{ ...pack.blobs[0]!, length: 2 ** 32 }] }],
    [pack, pack],
  ];
  for (const packs of bad) t.throws(() => encodeIndexBody(packs), { code: 'InvalidArgument' });
  t.same(decodeIndexBody(encodeIndexBody([])), []);
});

/** `pack` with its blob records as an index body holds them. */
function encodedOf(pack: PackDescription): EncodedPack {
  const body = encodeIndexBody([pack]);
  return { id: pack.id, kind: pack.kind, size: pack.size, records: body.subarray(5 + 43) };
}

t.test('packs given as encoded records are written byte for byte as their descriptions', async (t) => {
  fc.assert(
    fc.property(packsArb, fc.array(fc.boolean()), (packs, raw) => {
      const mixed = packs.map((p, i) => (raw[i] ? encodedOf(p) : p));
      t.same(encodeIndexBody(mixed), encodeIndexBody(packs));
      for (const p of packs) t.same(Buffer.from(encodedPack(p).records), Buffer.from(encodedOf(p).records));
    }),
  );
});

t.test('encoded records are checked as a reader checks them', async (t) => {
  const pack = makePack(2);
  const records = (mutate: (b: Buffer) => void): EncodedPack => {
    const e = encodedOf(pack);
    const b = Buffer.from(e.records);
    mutate(b);
    return { ...e, records: b };
  };
  t.throws(() => encodeIndexBody([records((b) => (b[BLOB_ENTRY + 32] = 2))]), { code: 'InvalidArgument' }, 'blob type');
  t.throws(
    () => encodeIndexBody([records((b) => b.writeUIntLE(pack.size, BLOB_ENTRY + 33, 6))]),
    { code: 'InvalidArgument' },
    'outside the pack',
  );
  t.throws(
    () => encodeIndexBody([{ ...encodedOf(pack), records: new Uint8Array(BLOB_ENTRY + 1) }]),
    { code: 'InvalidArgument' },
    'a part record',
  );
});
