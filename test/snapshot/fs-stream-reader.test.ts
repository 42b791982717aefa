/** StreamReader: a stream's bytes in order, every buffer full but the last, and an abort ending a waiting read. */
import t from 'tap';
import fc from 'fast-check';
import { StreamReader } from '../../src/snapshot/fs/stream-reader.js';

async function* chunksOf(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

t.test('fills each buffer whole until the end, in order, whatever the chunk sizes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
      fc.integer({ min: 1, max: 500 }),
      async (parts, size) => {
        const reader = new StreamReader(chunksOf(parts));
        const got: Buffer[] = [];
        for (;;) {
          const buf = Buffer.alloc(size);
          const n = await reader.fill(buf);
          got.push(buf.subarray(0, n));
          if (n < size) break;
        }
        const want = Buffer.concat(parts);
        if (!Buffer.concat(got).equals(want)) throw new Error('bytes differ');
        if (got.slice(0, -1).some((b) => b.length !== size)) throw new Error('a buffer before the last is short');
        if ((await reader.fill(Buffer.alloc(size))) !== 0) throw new Error('read past the end');
      },
    ),
  );
});

t.test('an abort rejects a read waiting on the stream', async (t) => {
  const ctl = new AbortController();
  const never = { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Uint8Array>>(() => undefined) }) };
  const reader = new StreamReader(never, ctl.signal);
  const read = reader.fill(Buffer.alloc(10));
  ctl.abort();
  await t.rejects(read, { code: 'Interrupted' });
});

t.test('an error of the stream is thrown by fill', async (t) => {
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('ab');
    throw Object.assign(new Error('boom'), { code: 'EIO' });
  }
  const reader = new StreamReader(failing());
  await t.rejects(reader.fill(Buffer.alloc(10)), { code: 'EIO' });
});
