/** SparseWriter and dataRanges: holes are kept, bytes are exact; plus the native addon's error shapes. */
import t from 'tap';
import fc from 'fast-check';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../src/snapshot/fs/native.js';
import { SparseWriter, dataRanges } from '../../src/snapshot/fs/sparse.js';
import { splitNs } from '../../src/snapshot/fs/restore-meta.js';

const base = await mkdtemp(join(tmpdir(), 'rzsparse-'));
t.teardown(() => rm(base, { recursive: true, force: true }));
let counter = 0;

async function writeSparse(pieces: readonly (readonly [Uint8Array, number])[], size: number): Promise<string> {
  const path = join(base, `f${counter++}`);
  const fh = await open(path, 'wx');
  const w = new SparseWriter(fh);
  for (const [data, pos] of pieces) await w.write(data, pos);
  await w.finish(size);
  await fh.close();
  return path;
}

t.test('zero blocks become holes, data blocks are written, size is exact', async (t) => {
  const block = Buffer.alloc(4096, 7);
  const data = Buffer.concat([block, Buffer.alloc(3 * 4096), block, Buffer.alloc(100)]);
  const path = await writeSparse([[data, 0]], 4 * 1024 * 1024);
  const st = await stat(path);
  t.equal(st.size, 4 * 1024 * 1024);
  t.equal(st.blocks * 512, 2 * 4096, 'only the two data blocks are allocated');
  const back = await readFile(path);
  t.same(back.subarray(0, data.length), data);
  t.ok(back.subarray(data.length).every((b) => b === 0));
  const fh = await open(path, 'r');
  t.same(dataRanges(fh.fd, st.size), [
    { offset: 0, length: 4096 },
    { offset: 16384, length: 4096 },
  ]);
  await fh.close();
});

t.test('unaligned writes of any layout read back exactly', async (t) => {
  const piece = fc.tuple(
    fc.uint8Array({ maxLength: 20000 }).chain((b) => fc.constantFrom(b, new Uint8Array(b.length))),
    fc.integer({ min: 0, max: 60000 }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { maxLength: 6 }), fc.integer({ min: 0, max: 100000 }), async (pieces, extra) => {
      const disjoint: [Uint8Array, number][] = [];
      let cursor = 0;
      for (const [d, p] of pieces) {
        disjoint.push([d, cursor + (p % 5000)]);
        cursor += (p % 5000) + d.length;
      }
      const size = Math.max(cursor, extra);
      const expected = Buffer.alloc(size);
      for (const [d, pos] of disjoint) expected.set(d, pos);
      const path = await writeSparse(disjoint, size);
      return (await readFile(path)).equals(expected);
    }),
    { numRuns: 60 },
  );
  t.pass();
});

t.test('dataRanges of a dense and an empty file', async (t) => {
  const dense = join(base, 'dense');
  await writeFile(dense, Buffer.alloc(10000, 1));
  const fh = await open(dense, 'r');
  t.same(dataRanges(fh.fd, 10000), [{ offset: 0, length: 10000 }]);
  await fh.close();
  const empty = join(base, 'empty');
  await writeFile(empty, '');
  const fe = await open(empty, 'r');
  t.same(dataRanges(fe.fd, 0), []);
  await fe.close();
});

t.test('native errors look like Node fs errors', async (t) => {
  const missing = Buffer.from(join(base, 'missing'));
  t.throws(() => native().utimensat(missing, 0, 0, 0, 0, true), { code: 'ENOENT', syscall: 'utimensat' });
  t.throws(() => native().mkfifo(Buffer.from('a\0b'), 0o600), TypeError);
  t.throws(() => native().utimensat(missing, 0, 1e9, 0, 0, true), TypeError);
  t.equal(native().lgetxattr(Buffer.from(base), 'user.nothing'), null);
});

t.test('splitNs floors negative times', async (t) => {
  t.same(splitNs(1_500_000_000_123n), [1500, 123]);
  t.same(splitNs(-1n), [-1, 999_999_999]);
  t.same(splitNs(-1_000_000_000n), [-1, 0]);
  t.same(splitNs(0n), [0, 0]);
});
