/** The addon's blob opener against the JavaScript one: same plaintexts, and every kind of damage refused. */
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { blobData } from '../helpers/blob-data.js';
import { isRozenError } from '../../src/core/errors.js';
import { BlobTasks } from '../../src/repo/blob-task.js';
import { authBlobs, nativeKeys, openBlobRun, verifyBlobs, type BlobSpan } from '../../src/repo/native-open.js';

const keys = { encKey: randomBytes(32), idKey: randomBytes(32) };
const tasks = new BlobTasks(keys);
const native = nativeKeys(keys.encKey, keys.idKey);

/** Seals `datas` one after another (zstd where `compress`), as a pack holds them. */
function pack(datas: readonly Uint8Array[], compress: readonly boolean[]): { sealed: Buffer; spans: BlobSpan[] } {
  const parts = datas.map((data, i) => tasks.seal({ op: 'seal', data, level: compress[i] ? 3 : false }));
  let at = 0;
  const spans = parts.map((p) => {
    const span = { id: p.id, at, length: p.sealed.length, rawLength: p.rawLength };
    at += p.sealed.length;
    return span;
  });
  return { sealed: Buffer.concat(parts.map((p) => p.sealed)), spans };
}

t.test('opens what the JavaScript sealer sealed, raw or zstd, many in one call', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(blobData, fc.boolean()), { minLength: 1, maxLength: 8 }), async (blobs) => {
      const datas = blobs.map(([d]) => d);
      const { sealed, spans } = pack(
        datas,
        blobs.map(([, c]) => c),
      );
      const want = Buffer.concat(datas);
      return (
        Buffer.from(await openBlobRun(native, sealed, spans)).equals(want) &&
        Buffer.from(await openBlobRun(native, sealed, spans, { checkIds: false })).equals(want) &&
        (await verifyBlobs(native, sealed, spans)).problems.every((p) => p === '') &&
        (await authBlobs(native, sealed, spans)).every((p) => p === '')
      );
    }),
    { numRuns: 60 },
  );
});

t.test('damage of any kind is CorruptData naming the blob', async (t) => {
  const text = Buffer.from('compressible text '.repeat(2000));
  const { sealed, spans } = pack([Buffer.from('raw blob'), text], [false, true]);
  const [raw, zstd] = spans as [BlobSpan, BlobSpan];
  const cases: [string, Buffer, BlobSpan[]][] = [
    ['a flipped ciphertext byte', flip(sealed, zstd.at + 40), [zstd, raw]],
    ['a flipped tag byte', flip(sealed, raw.at + raw.length - 1), spans],
    ['a flipped nonce byte', flip(sealed, raw.at + 3), spans],
    ['another blob id (aad)', sealed, [{ ...raw, id: zstd.id }]],
    ['a wrong raw length', sealed, [{ ...zstd, rawLength: zstd.rawLength - 1 }]],
    ['a wrong raw length of a raw frame', sealed, [{ ...raw, rawLength: raw.rawLength + 1 }]],
    ['a blob cut short', sealed, [{ ...raw, length: 20 }]],
    ['a span beyond the bytes given', sealed, [{ ...zstd, length: zstd.length + 1 }]],
    ['sealed with another key', pack([Buffer.from('raw blob')], [false]).sealed.fill(0, 24, 30), [raw]],
  ];
  for (const [what, bytes, blobs] of cases) {
    const err = await openBlobRun(native, bytes, blobs).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(isRozenError(err, 'CorruptData'), what);
    const unhashed = await openBlobRun(native, bytes, blobs, { checkIds: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(isRozenError(unhashed, 'CorruptData'), `${what}: refused without the id check too`);
    t.match(String(err), (blobs[0] as BlobSpan).id, `${what}: the message names the blob`);
    t.match((await verifyBlobs(native, bytes, blobs)).problems[0], /is corrupt/, `${what}: verified without keeping the plaintext`);
    // Poly1305 alone sees what the tag covers (nonce, ciphertext, tag, id); the frame and id checks need the plaintext.
    if (!/raw length|another key/.test(what))
      t.match((await authBlobs(native, bytes, blobs))[0], /authentication failed|too short/, `${what}: authenticated alone`);
  }
  t.match(await authBlobs(native, sealed, [{ ...spans[0]!, length: 40 }]), [/too short/], 'shorter than nonce, tag and frame byte');
  const other = new BlobTasks({ encKey: keys.encKey, idKey: randomBytes(32) });
  const forged = other.seal({ op: 'seal', data: Buffer.from('forged'), level: false });
  const err = await openBlobRun(native, forged.sealed, [{ id: forged.id, at: 0, length: forged.sealed.length, rawLength: 6 }]).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(String(err), /does not match its id/, 'authentic ciphertext whose plaintext does not hash to its id');
  const trusted = await openBlobRun(native, forged.sealed, [{ id: forged.id, at: 0, length: forged.sealed.length, rawLength: 6 }], {
    checkIds: false,
  });
  t.equal(Buffer.from(trusted).toString(), 'forged', 'without the id check, only the tag vouches for the plaintext: such a blob opens');
});

t.test('opened on the calling thread or on the pool: the same plaintexts and the same per-blob results', async () => {
  type Open = (...a: unknown[]) => Int32Array | Promise<Int32Array>;
  const fns = (await import('../../src/core/addon.js')).addon() as { openBlobs: Open; openBlobsSync: Open };
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(blobData, fc.boolean()), { minLength: 1, maxLength: 4 }), fc.nat(), async (blobs, where) => {
      const { sealed, spans } = pack(
        blobs.map(([d]) => d),
        blobs.map(([, c]) => c),
      );
      const bytes = where % 2 === 0 ? sealed : flip(sealed, where % sealed.length);
      const layout = new Float64Array(
        spans.flatMap((b, i) => [b.at, b.length, b.rawLength, spans.slice(0, i).reduce((n, x) => n + x.rawLength, 0)]),
      );
      const ids = Buffer.concat(spans.map((b) => Buffer.from(b.id, 'hex')));
      const size = spans.reduce((n, b) => n + b.rawLength, 0);
      const [a, b] = [Buffer.alloc(size), Buffer.alloc(size)];
      const onPool = await fns.openBlobs(native, bytes, layout, ids, a, true);
      const here = fns.openBlobsSync(native, bytes, layout, ids, b, true) as Int32Array;
      return Buffer.from(onPool.buffer).equals(Buffer.from(here.buffer)) && (onPool.some((r) => r !== 0) || a.equals(b));
    }),
    { numRuns: 60 },
  );
});

t.test('authentication alone: any single flipped bit of a sealed blob fails it, an intact blob passes', async () => {
  await fc.assert(
    fc.asyncProperty(blobData, fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 7 }), async (data, compress, where, bit) => {
      const { sealed, spans } = pack([data], [compress]);
      const span = spans[0]!;
      const at = where % span.length;
      const damaged = Buffer.from(sealed);
      damaged[at] = (damaged[at] as number) ^ (1 << bit);
      const [intact] = await authBlobs(native, sealed, spans);
      const [flipped] = await authBlobs(native, damaged, spans);
      return intact === '' && /authentication failed/.test(flipped!);
    }),
    { numRuns: 200 },
  );
});

t.test('verifying a whole pack also hashes it', async (t) => {
  const { sealed, spans } = pack([Buffer.from('a'), Buffer.alloc(70_000, 1)], [false, true]);
  const r = await verifyBlobs(native, sealed, spans, true);
  t.same(r.problems, ['', '']);
  t.equal(r.sha256, createHash('sha256').update(sealed).digest('hex'));
  t.equal((await verifyBlobs(native, sealed, spans)).sha256, undefined, 'only when asked');
});

t.test('bad arguments are a TypeError, not a crash', async (t) => {
  const { openBlobs } = (await import('../../src/core/addon.js')).addon() as { openBlobs: (...a: unknown[]) => unknown };
  t.throws(() => openBlobs(new Uint8Array(10), new Uint8Array(1), new Float64Array(4), new Uint8Array(32), new Uint8Array(1)), TypeError);
  t.throws(() => openBlobs(native, new Uint8Array(1), new Float64Array(3), new Uint8Array(32), new Uint8Array(1)), TypeError);
  t.throws(
    () => openBlobs(native, new Uint8Array(1), new Float64Array(4), new Uint8Array(32), new Uint8Array(1), 'yes'),
    TypeError,
    'checkIds must be a boolean',
  );
  const { openBlobsSync } = (await import('../../src/core/addon.js')).addon() as { openBlobsSync: (...a: unknown[]) => unknown };
  t.throws(
    () => openBlobsSync(native, new Uint8Array(1), new Float64Array(3), new Uint8Array(32), new Uint8Array(1)),
    TypeError,
    'on the calling thread too',
  );
  const { verifyBlobs: verify } = (await import('../../src/core/addon.js')).addon() as { verifyBlobs: (...a: unknown[]) => unknown };
  t.throws(
    () => verify(native, new Uint8Array(1), new Float64Array(4), new Uint8Array(32), false, false),
    TypeError,
    'verifyBlobs takes no checkIds',
  );
});

function flip(b: Buffer, at: number): Buffer {
  const copy = Buffer.from(b);
  copy[at] = (copy[at] as number) ^ 1;
  return copy;
}
