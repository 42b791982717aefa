/** The addon's re-sealer against the JavaScript opener: the destination gets the same plaintext under its own id, and damage is refused. */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { blobData } from '../helpers/blob-data.js';
import { compressBound, compressInto } from '../../src/codec/zstd.js';
import { isRozenError } from '../../src/core/errors.js';
import { blobIdBytes, blobIdOf } from '../../src/crypto/blob-id.js';
import { seal } from '../../src/crypto/xchacha.js';
import { BlobTasks } from '../../src/repo/blob-task.js';
import { nativeKeys, openBlobRun } from '../../src/repo/native-open.js';
import { resealBlobs, type ResealInput } from '../../src/repo/native-reseal.js';

const srcKeys = { encKey: randomBytes(32), idKey: randomBytes(32) };
const dstKeys = { encKey: randomBytes(32), idKey: randomBytes(32) };
const src = new BlobTasks(srcKeys);
const srcNative = nativeKeys(srcKeys.encKey, srcKeys.idKey);
const dstNative = nativeKeys(dstKeys.encKey, dstKeys.idKey);

function stored(data: Uint8Array, compress: boolean): ResealInput {
  const s = src.seal({ op: 'seal', data, level: compress ? 3 : false });
  return { id: s.id, sealed: s.sealed, rawLength: s.rawLength };
}

t.test('each blob opens in the destination as the same plaintext, under the id its id key gives, with the same frame', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(blobData, fc.boolean()), { minLength: 1, maxLength: 8 }), async (blobs) => {
      const inputs = blobs.map(([d, c]) => stored(d, c));
      const out = await resealBlobs(srcNative, dstNative, inputs);
      for (const [i, r] of out.entries()) {
        const data = blobs[i]![0];
        if (r instanceof Error) return false;
        if (r.id !== blobIdOf(dstKeys.idKey, data) || r.sealed.length !== inputs[i]!.sealed.length || r.rawLength !== data.length)
          return false;
        const opened = await openBlobRun(dstNative, r.sealed, [{ id: r.id, at: 0, length: r.sealed.length, rawLength: r.rawLength }]);
        if (!Buffer.from(opened).equals(data)) return false;
      }
      return true;
    }),
    { numRuns: 60 },
  );
});

t.test('a damaged or mislabelled source blob is CorruptData naming it; the others of its call are re-sealed', async (t) => {
  const text = Buffer.from('compressible text '.repeat(2000));
  const raw = stored(Buffer.from('raw blob'), false);
  const zstd = stored(text, true);
  const flipped = (b: ResealInput, at: number): ResealInput => {
    const sealed = Buffer.from(b.sealed);
    sealed[at] = (sealed[at] as number) ^ 1;
    return { ...b, sealed };
  };
  const other = new BlobTasks({ encKey: srcKeys.encKey, idKey: randomBytes(32) }).seal({
    op: 'seal',
    data: Buffer.from('forged'),
    level: false,
  });
  const cases: [string, ResealInput, RegExp][] = [
    ['a flipped ciphertext byte', flipped(zstd, 40), /authentication failed/],
    ['a flipped tag byte', flipped(raw, raw.sealed.length - 1), /authentication failed/],
    ['another blob id (aad)', { ...raw, id: zstd.id }, /authentication failed/],
    ['a wrong raw length of a zstd frame', { ...zstd, rawLength: zstd.rawLength - 1 }, /wrong length/],
    ['a wrong raw length of a raw frame', { ...raw, rawLength: raw.rawLength + 1 }, /wrong length/],
    ['a blob cut short', { ...raw, sealed: raw.sealed.subarray(0, 40) }, /too short/],
    ['a plaintext that does not hash to its id', { id: other.id, sealed: other.sealed, rawLength: 6 }, /does not match its id/],
    ['a length beyond 2^32', { ...raw, rawLength: 2 ** 33 }, /too short/],
  ];
  for (const [what, bad, why] of cases) {
    const [intact, err] = await resealBlobs(srcNative, dstNative, [raw, bad]);
    t.notOk(intact instanceof Error, `${what}: the intact blob beside it is re-sealed`);
    t.ok(isRozenError(err, 'CorruptData'), what);
    const message = err instanceof Error ? err.message : '';
    t.match(message, bad.id, `${what}: the message names the blob`);
    t.match(message, why, `${what}: and says why`);
  }
});

t.test('a zstd frame declaring another size than the index is refused before room for it is taken', async (t) => {
  const data = Buffer.alloc(10_000, 7);
  const z = Buffer.alloc(compressBound(data.length));
  const frame = Buffer.concat([Buffer.from([1]), z.subarray(0, compressInto(z, data, 3))]);
  const id = blobIdOf(srcKeys.idKey, data);
  const input = { id, sealed: seal(srcKeys.encKey, frame, blobIdBytes(id)), rawLength: 2 ** 31 };
  const [refused] = await resealBlobs(srcNative, dstNative, [input]);
  t.match(refused instanceof Error ? refused.message : '', /wrong length/);
  const [ok] = await resealBlobs(srcNative, dstNative, [{ ...input, rawLength: data.length }]);
  t.equal(ok instanceof Error ? ok : ok?.id, blobIdOf(dstKeys.idKey, data), 'with the right size it re-seals');
});

t.test('bad arguments are a TypeError, not a crash', async (t) => {
  const { resealBlobs: native } = (await import('../../src/core/addon.js')).addon() as { resealBlobs: (...a: unknown[]) => unknown };
  const one = new Uint8Array(32);
  t.throws(
    () => native(new Uint8Array(10), dstNative, [], new Float64Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)),
    TypeError,
  );
  t.throws(() => native(srcNative, dstNative, [one], new Float64Array(0), one, one, one), TypeError, 'one length per blob');
  t.throws(() => native(srcNative, dstNative, ['x'], new Float64Array(1), one, one, one), TypeError, 'blobs are bytes');
  t.throws(
    () => native(srcNative, dstNative, [one], new Float64Array(1), one, new Uint8Array(31), one),
    TypeError,
    'ids are 32 bytes each',
  );
});
