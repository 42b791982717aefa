import fc from 'fast-check';
import t from 'tap';
import { decodePackHeader, encodePackHeader, type PackHeader } from '../../src/cas/pack-header.js';
import { packName, parsePackName } from '../../src/cas/pack-path.js';
import { toHex, type BlobId, type PackId } from '../../src/core/ids.js';
import { BlobType, PackKind } from '../../src/core/types.js';

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const headerArb: fc.Arbitrary<PackHeader> = fc.constantFrom(PackKind.normal, PackKind.degenerate, PackKind.tree).chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    blobs: fc.array(
      fc.record({
        id: hexId.map((h) => h as BlobId),
        type: fc.constant(kind === PackKind.tree ? BlobType.tree : BlobType.data),
        length: fc.integer({ min: 1, max: 0xffffffff }),
        rawLength: u32,
      }),
      { maxLength: 30 },
    ),
  }),
);

t.test('headers round-trip', async (t) => {
  fc.assert(
    fc.property(headerArb, (h) => {
      const bytes = encodePackHeader(h);
      t.equal(bytes.length, 6 + 41 * h.blobs.length);
      t.same(decodePackHeader(bytes), h);
    }),
  );
});

t.test('the encoding is the one FORMAT §6 specifies', async (t) => {
  const id = 'ab'.repeat(32) as BlobId;
  const bytes = encodePackHeader({ kind: PackKind.tree, blobs: [{ id, type: BlobType.tree, length: 300, rawLength: 5 }] });
  t.equal(toHex(bytes), '01' + '02' + '01000000' + '01' + '2c010000' + '05000000' + 'ab'.repeat(32));
});

t.test('malformed headers are CorruptData', async (t) => {
  const good = encodePackHeader({
    kind: PackKind.normal,
    blobs: [{ id: '00'.repeat(32) as BlobId, type: BlobType.data, length: 10, rawLength: 3 }],
  });
  const variant = (edit: (b: Buffer) => void): Uint8Array => {
    const b = Buffer.from(good);
    edit(b);
    return b;
  };
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['short', good.subarray(0, 5)],
    ['version', variant((b) => (b[0] = 2))],
    ['kind', variant((b) => (b[1] = 3))],
    ['count too big', variant((b) => b.writeUInt32LE(2, 2))],
    ['count too small', variant((b) => b.writeUInt32LE(0, 2))],
    ['truncated entry', good.subarray(0, good.length - 1)],
    ['trailing byte', Buffer.concat([good, Buffer.from([0])])],
    ['tree blob in normal pack', variant((b) => (b[6] = 1))],
    ['unknown blob type', variant((b) => (b[6] = 7))],
    ['zero length', variant((b) => b.writeUInt32LE(0, 7))],
  ];
  for (const [what, bytes] of cases) t.throws(() => decodePackHeader(bytes), { code: 'CorruptData' }, what);
});

t.test('encoding rejects what cannot be stored', async (t) => {
  const id = '00'.repeat(32) as BlobId;
  const entry = { id, type: BlobType.data, length: 10, rawLength: 3 };
  const bad: PackHeader[] = [
    { kind: PackKind.tree, blobs: [entry] },
    { kind: PackKind.normal, blobs: [{ ...entry, length: 2 ** 32 }] },
    { kind: PackKind.normal, blobs: [{ ...entry, rawLength: -1 }] },
    { kind: PackKind.normal, blobs: [{ ...entry, id: 'xy' as BlobId }] },
    { kind: 9 as PackKind, blobs: [] },
  ];
  for (const h of bad) t.throws(() => encodePackHeader(h), { code: 'InvalidArgument' });
});

t.test('pack names', async (t) => {
  fc.assert(
    fc.property(hexId, (hex) => {
      const id = hex as PackId;
      t.equal(packName(id), `packs/${hex.slice(0, 2)}/${hex}`);
      t.equal(parsePackName(packName(id)), id);
    }),
    { numRuns: 20 },
  );
  const id = 'cd'.repeat(32);
  for (const name of [`packs/ab/${id}`, `packs/cd/${id}x`, `packs/${id}`, `index/cd/${id}`, `packs/cd/${id.toUpperCase()}`]) {
    t.equal(parsePackName(name), undefined, name);
  }
});
