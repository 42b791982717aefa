/** SourceReader: a file's bytes in order, its holes filled with zeros instead of read. */
import t from 'tap';
import fc from 'fast-check';
import { appendFile, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceReader } from '../../src/snapshot/fs/source-reader.js';
import { dataRanges } from '../../src/snapshot/fs/sparse.js';

const base = await mkdtemp(join(tmpdir(), 'rzreader-'));
t.teardown(() => rm(base, { recursive: true, force: true }));
let counter = 0;
const BLOCK = 4096;

/** A file of `size` bytes with `blocks` (block numbers) of data written, the rest holes. */
async function sparseFile(blocks: readonly number[], size: number): Promise<string> {
  const path = join(base, `f${counter++}`);
  await writeFile(path, '');
  await truncate(path, size);
  const fh = await open(path, 'r+');
  for (const b of blocks)
    if (b * BLOCK < size) await fh.write(Buffer.alloc(Math.min(BLOCK, size - b * BLOCK), (b % 250) + 1), 0, undefined, b * BLOCK);
  await fh.close();
  return path;
}

/** Everything the reader gives, in buffers of `bufSize`, and the bytes it asked the kernel to read. */
async function readAll(fh: FileHandle, reader: SourceReader, bufSize: number): Promise<{ bytes: Buffer; readBytes: number }> {
  let readBytes = 0;
  const read = fh.read.bind(fh) as (b: Buffer, o: number, l: number, p: number) => Promise<{ bytesRead: number }>;
  (fh as unknown as { read: typeof read }).read = async (b, o, l, p) => {
    const r = await read(b, o, l, p);
    readBytes += r.bytesRead;
    return r;
  };
  const out: Buffer[] = [];
  for (;;) {
    const buf = Buffer.alloc(bufSize, 0xee); // not zeros: the reader must write the zeros of holes itself
    const n = await reader.fill(buf);
    if (n === 0) break;
    out.push(buf.subarray(0, n));
    if (n < bufSize) break;
  }
  return { bytes: Buffer.concat(out), readBytes };
}

t.test('a sparse file reads back exactly, and only its data is read', async (t) => {
  const size = 64 * BLOCK + 100;
  const path = await sparseFile([0, 1, 10, 40, 64], size);
  const fh = await open(path, 'r');
  t.teardown(() => fh.close());
  const allocated = dataRanges(fh.fd, size).reduce((a, r) => a + r.length, 0);
  t.ok(allocated < size / 2, 'the filesystem keeps holes');
  const { bytes, readBytes } = await readAll(fh, new SourceReader(fh, { size }), 3 * BLOCK + 17);
  t.ok(bytes.equals(await readFile(path)));
  t.equal(readBytes, allocated, 'holes were not read');
});

t.test('any layout and buffer size: the same bytes as a plain read', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.nat(40), { maxLength: 8 }),
      fc.integer({ min: 0, max: 41 * BLOCK }),
      fc.integer({ min: 1, max: 5 * BLOCK }),
      async (blocks, size, bufSize) => {
        const path = await sparseFile(blocks, size);
        const fh = await open(path, 'r');
        try {
          const { bytes } = await readAll(fh, new SourceReader(fh, { size }), bufSize);
          return bytes.equals(await readFile(path));
        } finally {
          await fh.close();
        }
      },
    ),
    { numRuns: 80 },
  );
  t.pass();
});

t.test('a file that grew or shrank since it was measured', async (t) => {
  const path = await sparseFile([0, 8], 16 * BLOCK);
  await appendFile(path, Buffer.alloc(5000, 9));
  const fh = await open(path, 'r');
  const grown = await readAll(fh, new SourceReader(fh, { size: 16 * BLOCK }), 5 * BLOCK);
  t.ok(grown.bytes.equals(await readFile(path)), 'bytes past the measured size are read');
  await fh.close();

  const shrunk = await sparseFile([0, 2], 3 * BLOCK);
  const fs = await open(shrunk, 'r');
  const reader = new SourceReader(fs, { size: 3 * BLOCK });
  await truncate(shrunk, 2 * BLOCK + 10);
  const got = await readAll(fs, reader, BLOCK);
  t.equal(got.bytes.length, 2 * BLOCK + 10, 'a data range cut short ends the file');
  await fs.close();
});

t.test('a dense file is read throughout', async (t) => {
  const path = join(base, 'dense');
  const data = Buffer.from(Array.from({ length: 10000 }, (_, i) => i % 251));
  await writeFile(path, data);
  const fh = await open(path, 'r');
  const { bytes, readBytes } = await readAll(fh, new SourceReader(fh), 4096);
  t.ok(bytes.equals(data));
  t.equal(readBytes, data.length);
  await fh.close();
});
