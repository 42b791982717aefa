import t from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { compress } from 'zstd-napi';
import { MemoryBackend } from '../../src/backend/memory.js';
import { encodeIndexBody } from '../../src/cas/index-body.js';
import { INDEX_AAD, readIndexFile, writeIndexFile } from '../../src/cas/index-file.js';
import { makePack, packsArb } from './index-arbitraries.js';
import { FakeSealer } from './index-fake-sealer.js';

const corruptCode = { code: 'CorruptData' };
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

t.test('write then read gives the same packs; the id is the SHA-256 of the file', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  await fc.assert(
    fc.asyncProperty(packsArb, async (packs) => {
      const id = await writeIndexFile(backend, sealer, packs);
      const stored = await backend.get(`index/${id}`);
      t.equal(sha256(stored), id);
      t.same(await readIndexFile(backend, sealer, id), packs);
    }),
    { numRuns: 50 },
  );
});

t.test('the sealed plaintext is frame id 0 and the body, bound to "rozen:index"', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const packs = [makePack(3)];
  const id = await writeIndexFile(backend, sealer, packs);
  const plain = sealer.open(await backend.get(`index/${id}`), INDEX_AAD);
  t.equal(plain[0], 0);
  t.same(Buffer.from(plain.subarray(1)), Buffer.from(encodeIndexBody(packs)));
  t.throws(() => sealer.open(plain, new TextEncoder().encode('rozen:snapshot')));
});

t.test('a zstd-framed index file (compression id 1) is read too', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const packs = [makePack(4)];
  const framed = Buffer.concat([Buffer.from([1]), compress(encodeIndexBody(packs))]);
  const sealed = sealer.seal(framed, INDEX_AAD);
  await backend.put(`index/${sha256(sealed)}`, sealed);
  t.same(await readIndexFile(backend, sealer, sha256(sealed)), packs);
  const unknown = sealer.seal(Buffer.from([9, 1]), INDEX_AAD);
  await backend.put(`index/${sha256(unknown)}`, unknown);
  await t.rejects(readIndexFile(backend, sealer, sha256(unknown)), corruptCode);
});

t.test('any one changed byte is detected', async (t) => {
  const backend = new MemoryBackend();
  const sealer = new FakeSealer();
  const id = await writeIndexFile(backend, sealer, [makePack(2), makePack(1)]);
  const good = await backend.get(`index/${id}`);
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
      const bad = good.slice();
      bad[at] = (bad[at] ?? 0) ^ xor;
      await backend.put(`index/${id}`, bad);
      await t.rejects(readIndexFile(backend, sealer, id), corruptCode);
    }),
    { numRuns: 200 },
  );
  for (let at = 0; at < good.length; at++) {
    const bad = good.slice();
    bad[at] = (bad[at] ?? 0) ^ 0x80;
    const badId = sha256(bad);
    await backend.put(`index/${badId}`, bad);
    await t.rejects(readIndexFile(backend, sealer, badId), corruptCode, `byte ${at} (re-hashed)`);
    await backend.delete(`index/${badId}`);
  }
});

t.test('a missing index file is NotFound; a bad id is InvalidArgument', async (t) => {
  const backend = new MemoryBackend();
  await t.rejects(readIndexFile(backend, new FakeSealer(), 'a'.repeat(64)), { code: 'NotFound' });
  await t.rejects(readIndexFile(backend, new FakeSealer(), '../x'), { code: 'InvalidArgument' });
});
