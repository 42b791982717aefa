/** The backup's blob pool: blobs sealed in the addon (seal_blobs.c), small files read in batches there too. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { createBlobPool, type FileResult } from '../../src/repo/blob-pool.js';
import { BlobTasks } from '../../src/repo/blob-task.js';
import { blobIdOf } from '../../src/crypto/blob-id.js';
import { Sealer } from '../../src/crypto/sealer.js';
import { decodeFrame } from '../../src/codec/frame.js';
import { openBlobRun } from '../../src/repo/native-open.js';
import { hashBlobs, sealBlobs, type HeldBytes } from '../../src/repo/native-seal.js';
import type { BlobId } from '../../src/core/ids.js';

const keys = { encKey: new Uint8Array(32).fill(1), idKey: new Uint8Array(32).fill(2) };
const js = new BlobTasks(keys);
const pool = createBlobPool(keys);

/** Opens one sealed blob with the addon's opener. */
const open = async (id: string, sealed: Uint8Array, rawLength: number): Promise<Buffer> =>
  Buffer.from(await openBlobRun(js.nativeKeys, sealed, [{ id: id as BlobId, at: 0, length: sealed.length, rawLength }]));

/** Opens one sealed blob in JavaScript (node:crypto and zstd-napi), as FORMAT.md describes it. */
const openJs = (id: string, sealed: Uint8Array): { frame: Uint8Array; plain: Uint8Array } => {
  const frame = new Sealer(keys.encKey).open(sealed, Buffer.from(id, 'hex'));
  return { frame, plain: decodeFrame(frame) };
};

const dir = mkdtempSync(join(tmpdir(), 'rozen-blob-pool-'));
const file = (name: string, data: string | Buffer): Buffer => {
  writeFileSync(join(dir, name), data);
  return Buffer.from(join(dir, name));
};

t.test('files: read, hashed and sealed per file; failures and oversized files per file too', async (t) => {
  const paths = [
    file('a', 'hello'),
    file('empty', ''),
    Buffer.from(join(dir, 'missing')),
    file('big', Buffer.alloc(5000, 7)),
    ...Array.from({ length: 9 }, (_, i) => file(`n${i}`, `file ${i}`)),
  ];
  const out = await Promise.allSettled(paths.map((path) => pool.file({ path, level: 3, tryLevel: 3, maxSize: 4096 })));
  t.equal(out.length, paths.length);
  const value = (i: number): FileResult | undefined => (out[i] as PromiseFulfilledResult<FileResult | undefined>).value;
  const a = value(0)!;
  t.equal(a.id, blobIdOf(keys.idKey, Buffer.from('hello')));
  t.equal(a.rawLength, 5);
  t.same(await open(a.id, a.sealed, 5), Buffer.from('hello'));
  t.equal(value(1)!.rawLength, 0, 'an empty file');
  t.match(
    (out[2] as PromiseRejectedResult).reason,
    { code: 'ENOENT', message: /no such file or directory, open '.*missing'/ },
    'a vanished file fails alone',
  );
  t.equal(value(3), undefined, 'a file that grew past maxSize is left to the large-file path');
  for (let i = 0; i < 9; i++) t.equal(value(4 + i)!.id, blobIdOf(keys.idKey, Buffer.from(`file ${i}`)));
});

t.test('files: a read that fails after open is reported with its code', async (t) => {
  // A path that became a directory since the walk: open succeeds, read fails.
  await t.rejects(pool.file({ path: Buffer.from(dir), level: false, tryLevel: 3, maxSize: 1 << 30 }), {
    code: 'EISDIR',
    message: /EISDIR: .*, read '/,
  });
});

t.test('files: raw unless told to try, or the file is mostly zeros', async (t) => {
  const text = Buffer.from('compressible '.repeat(200));
  const raw = (await pool.file({ path: file('raw', text), level: false, tryLevel: 3, maxSize: 1 << 20 }))!;
  t.equal(raw.framed, text.length + 1, 'stored raw');
  t.equal(raw.attempted, false);
  const tried = (await pool.file({ path: file('try', text), level: 'try', tryLevel: 3, maxSize: 1 << 20 }))!;
  t.ok(tried.framed < 200, 'compressed when tried');
  t.equal(tried.attempted, true);
  const zeros = (await pool.file({ path: file('zeros', Buffer.alloc(100_000)), level: false, tryLevel: 3, maxSize: 1 << 20 }))!;
  t.ok(zeros.framed < 1000, 'zeros are compressed even when the policy says raw');
  t.same(await open(zeros.id, zeros.sealed, 100_000), Buffer.alloc(100_000));
  const off = (await pool.file({ path: file('zeros-off', Buffer.alloc(100_000)), level: false, tryLevel: false, maxSize: 1 << 20 }))!;
  t.equal(off.framed, 100_001, 'with compression off, zeros are stored raw too');
});

t.test('seal: what the addon seals opens in JavaScript to the same frame the JavaScript sealer makes', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(Buffer.alloc(70_000, 9), Buffer.from('ab'.repeat(5000)))),
          fc.constantFrom<number | false>(false, 1, 3, 19),
          fc.boolean(),
        ),
        { minLength: 1, maxLength: 12 },
      ),
      async (blobs) => {
        const inputs = blobs.map(([data, level, withId]) => ({ data, level, ...(withId && { id: blobIdOf(keys.idKey, data) }) }));
        const sealed = await sealBlobs(js.nativeKeys, inputs);
        t.equal(sealed.length, inputs.length);
        sealed.forEach((s, i) => {
          const { data, level } = inputs[i]!;
          const expected = js.seal({ op: 'seal', data, level });
          if (s.id !== expected.id) throw new Error(`id ${s.id} != ${expected.id}`);
          const { frame, plain } = openJs(s.id, s.sealed);
          if (!Buffer.from(plain).equals(Buffer.from(data))) throw new Error('plaintext differs');
          if (frame.length !== s.framed || s.framed !== expected.framed)
            throw new Error(`frame ${frame.length}/${s.framed} != ${expected.framed}`);
          if (s.sealed.length !== expected.sealed.length || s.rawLength !== data.length) throw new Error('sizes differ');
        });
      },
    ),
    { numRuns: 60 },
  );
});

t.test('seal and hash: a blob given as its pieces is the blob they make joined', async (t) => {
  const split = (data: Uint8Array, cuts: number[]): Uint8Array[] => {
    const at = [0, ...cuts.map((c) => c % (data.length + 1)).sort((a, b) => a - b), data.length];
    return at.slice(1).map((end, i) => data.subarray(at[i], end));
  };
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.constantFrom(Buffer.alloc(70_000, 9), Buffer.from('ab'.repeat(5000)))),
      fc.array(fc.nat(80_000), { minLength: 1, maxLength: 5 }),
      fc.constantFrom<number | false>(false, 3),
      async (data, cuts, level) => {
        const pieces = split(data, cuts);
        const [sealed] = await sealBlobs(js.nativeKeys, [{ data: pieces, level }]);
        const expected = js.seal({ op: 'seal', data, level });
        if (sealed!.id !== expected.id || sealed!.rawLength !== data.length) throw new Error('id or length differs');
        if (sealed!.framed !== expected.framed) throw new Error(`frame ${sealed!.framed} != ${expected.framed}`);
        if (!Buffer.from(openJs(sealed!.id, sealed!.sealed).plain).equals(Buffer.from(data))) throw new Error('plaintext differs');
        const [id] = await hashBlobs(js.nativeKeys, [pieces]);
        if (id !== expected.id) throw new Error('hash of the pieces differs');
      },
    ),
    { numRuns: 80 },
  );
  const { addon } = await import('../../src/core/addon.js');
  const native = addon() as { hashBlobs: (...a: unknown[]) => unknown };
  t.throws(() => native.hashBlobs(js.nativeKeys, [[]], Buffer.alloc(32)), /hashBlobs\(keys: 64 bytes/, 'no pieces');
  t.throws(
    () => native.hashBlobs(js.nativeKeys, [[Buffer.from('a'), 'b']], Buffer.alloc(32)),
    /hashBlobs\(keys: 64 bytes/,
    'a piece not bytes',
  );
});

t.test('zeros: the ids of all-zero blobs, remembered per key and length, are their HMACs', async (t) => {
  const other = new BlobTasks({ encKey: keys.encKey, idKey: new Uint8Array(32).fill(3) });
  const lengths = [4096, 5000, 8 * 1024 * 1024, 4096, 70_000, 5000, 12_345, 8 * 1024 * 1024];
  for (const n of lengths) {
    const zeros = Buffer.alloc(n);
    const [a, b] = await hashBlobs(js.nativeKeys, [zeros, [zeros.subarray(0, 100), zeros.subarray(100)]]);
    t.equal(a, blobIdOf(keys.idKey, zeros), `${n} zeros`);
    t.equal(b, a, `${n} zeros in pieces`);
    t.equal((await hashBlobs(other.nativeKeys, [zeros]))[0], blobIdOf(new Uint8Array(32).fill(3), zeros), `${n} zeros under another key`);
    const [sealed] = await sealBlobs(js.nativeKeys, [{ data: zeros, level: 3 }]);
    t.equal(sealed!.id, a, `${n} zeros sealed`);
  }
  const almost = Buffer.alloc(9000);
  almost[8999] = 1;
  t.equal((await hashBlobs(js.nativeKeys, [almost]))[0], blobIdOf(keys.idKey, almost), 'a last byte that is not zero counts');
  almost[8999] = 0;
  almost[0] = 1;
  t.equal((await hashBlobs(js.nativeKeys, [almost]))[0], blobIdOf(keys.idKey, almost), 'so does a first one');
});

t.test('seal: a fresh nonce per blob; hash matches the JavaScript id; bad arguments throw', async (t) => {
  const data = Buffer.from('same');
  const [a, b] = await sealBlobs(js.nativeKeys, [
    { data, level: 3 },
    { data, level: 3 },
  ]);
  t.not(Buffer.from(a!.sealed.subarray(0, 24)).toString('hex'), Buffer.from(b!.sealed.subarray(0, 24)).toString('hex'));
  t.same(await hashBlobs(js.nativeKeys, [data, Buffer.alloc(0)]), [blobIdOf(keys.idKey, data), blobIdOf(keys.idKey, Buffer.alloc(0))]);
  t.equal(await pool.hash(data), blobIdOf(keys.idKey, data));
  const r = await pool.seal({ data: Buffer.alloc(100_000, 4), level: 3 });
  t.same(await open(r.id, r.sealed, 100_000), Buffer.alloc(100_000, 4));
  t.same(await sealBlobs(js.nativeKeys, []), []);
  const many = [Buffer.from('a'), Buffer.alloc(5000, 1), Buffer.from('c')];
  t.same(
    await pool.hashMany(many),
    many.map((d) => blobIdOf(keys.idKey, d)),
    'hashMany: one id per blob, in order',
  );
  const sealedMany = await pool.sealMany(many.map((data) => ({ data, level: 3 })));
  for (const [i, r] of sealedMany.entries()) t.same(await open(r.id, r.sealed, many[i]!.length), many[i], `sealMany: blob ${i} opens`);
  const { addon } = await import('../../src/core/addon.js');
  const native = addon() as { sealBlobs: (...a: unknown[]) => unknown; hashBlobs: (...a: unknown[]) => unknown };
  t.throws(
    () => native.sealBlobs(new Uint8Array(3), [], Buffer.alloc(0), new Uint8Array(0), new Int32Array(0), new Float64Array(0)),
    /sealBlobs\(keys: 64 bytes/,
  );
  t.throws(() => native.hashBlobs(js.nativeKeys, ['x'], Buffer.alloc(32)), /hashBlobs\(keys: 64 bytes/);
});

t.test('held bytes: readFiles keeps a file in the addon, sealing takes it once, hashing refuses it', async (t) => {
  const { addon } = await import('../../src/core/addon.js');
  const { mostlyZeros } = await import('../../src/codec/policy.js');
  const readFiles = (addon() as { readFiles: (p: Buffer[], max: number) => Promise<(HeldBytes | null | Error)[]> }).readFiles;
  const sparse = Buffer.alloc(70_000);
  for (let i = 0; i < sparse.length; i += 200) sparse[i] = 1; // blocks that start with a byte set: not mostly zeros to the rule
  const contents = [Buffer.from('held'), Buffer.alloc(100_000), sparse, Buffer.alloc(4096), Buffer.alloc(4000)];
  const held = (await readFiles(
    contents.map((c, i) => file(`held${i}`, c)),
    1 << 20,
  )) as HeldBytes[];
  held.forEach((h, i) => {
    t.equal(h.length, contents[i]!.length);
    t.equal(h.mostlyZeros, mostlyZeros(contents[i]!.subarray(0, 65536)), `mostlyZeros as the policy says, file ${i}`);
  });
  await t.rejects(
    hashBlobs(js.nativeKeys, [held[0]! as unknown as Uint8Array]),
    /hashBlobs\(keys/,
    'hashing refuses held bytes (a seal could free them meanwhile)',
  );
  const [r] = await sealBlobs(js.nativeKeys, [{ data: held[0]!, level: false }]);
  t.equal(r!.rawLength, 4);
  t.same(await open(r!.id, r!.sealed, 4), contents[0]);
  await t.rejects(sealBlobs(js.nativeKeys, [{ data: held[0]!, level: false }]), /sealBlobs\(keys/, 'sealed bytes cannot be sealed again');
  await t.rejects(
    sealBlobs(js.nativeKeys, [
      { data: held[1]!, level: 3 },
      { data: held[1]!, level: 3 },
    ]),
    /sealBlobs\(keys/,
    'nor twice in one call',
  );
  const [again] = await sealBlobs(js.nativeKeys, [{ data: held[1]!, level: 3 }]);
  t.same(await open(again!.id, again!.sealed, 100_000), contents[1], 'a call refused gives its held bytes back');
  await t.rejects(sealBlobs(js.nativeKeys, [{ data: {} as HeldBytes, level: 3 }]), /sealBlobs\(keys/, 'a plain object is not held bytes');
});

t.test('a blob given as an array of one piece hashes as that piece, also when the piece is a view into a larger buffer', async (t) => {
  const buf = Buffer.alloc(5000, 7).fill(9, 1000);
  const view = buf.subarray(500, 4000);
  const id = blobIdOf(keys.idKey, Buffer.from(view));
  t.equal(await pool.hash([view]), id);
  t.equal((await pool.seal({ data: [view], level: false })).id, id);
});
