import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { packName } from '../../src/cas/pack-path.js';
import { readBlob, readPack, readPackHeader, TAIL_GUESS, verifyPack } from '../../src/cas/pack-reader.js';
import { PackWriter } from '../../src/cas/pack-writer.js';
import type { Sealer } from '../../src/cas/sealer-interface.js';
import { FaultyBackend } from '../../src/backend/faulty.js';
import { MemoryBackend } from '../../src/backend/memory.js';
import type { BlobId, PackId } from '../../src/core/ids.js';
import { BlobType, PackKind, type PackDescription } from '../../src/core/types.js';
import { FakeBackend } from './fake-backend.js';
import { fakeSealer } from './pack-fake-sealer.js';
import { blobId, openBlob, sameBytes, sealBlob } from './pack-fixtures.js';

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

interface Written {
  desc: PackDescription;
  plains: Map<BlobId, Uint8Array>;
}

async function writePack(backend: FakeBackend, sealer: Sealer, kind: PackKind, plains: Uint8Array[]): Promise<Written> {
  const w = new PackWriter(backend, sealer, kind);
  const type = kind === PackKind.tree ? BlobType.tree : BlobType.data;
  const byId = new Map<BlobId, Uint8Array>();
  for (const p of plains) {
    const id = blobId(p);
    byId.set(id, p);
    w.add(id, type, sealBlob(sealer, id, p), p.length);
  }
  return { desc: await w.finish(), plains: byId };
}

async function checkReadable(t: Tap, backend: FakeBackend, sealer: Sealer, { desc, plains }: Written): Promise<void> {
  t.same(await readPackHeader(backend, sealer, desc.id), desc);
  t.same(await readPackHeader(backend, sealer, desc.id, desc.size), desc);
  const whole = await readPack(backend, sealer, desc.id);
  t.same(whole.description, desc);
  for (const b of desc.blobs) {
    const loc = { pack: desc.id, ...b };
    t.ok(sameBytes(openBlob(sealer, b.id, await readBlob(backend, loc)), plains.get(b.id)));
  }
}

const kinds = fc.constantFrom(PackKind.normal, PackKind.degenerate, PackKind.tree);
const plainsArb = fc.array(fc.uint8Array({ maxLength: 2000 }), { minLength: 1, maxLength: 20 });

t.test('packs round-trip: header from the tail, blobs by ranged reads, whole pack verified', async (t) => {
  await fc.assert(
    fc.asyncProperty(kinds, plainsArb, async (kind, plains) => {
      const backend = new FakeBackend();
      const written = await writePack(backend, fakeSealer, kind, plains);
      const { desc } = written;
      t.same(backend.names(), [packName(desc.id)]);
      t.equal(desc.size, backend.objects.get(packName(desc.id))!.length);
      t.equal(desc.kind, kind);
      let offset = 0;
      for (const b of desc.blobs) {
        t.equal(b.offset, offset);
        offset += b.length;
      }
      await checkReadable(t, backend, fakeSealer, written);
    }),
    { numRuns: 30 },
  );
});

t.test('writer size counts stored blob bytes; misuse is refused', async (t) => {
  const w = new PackWriter(new FakeBackend(), fakeSealer, PackKind.normal);
  await t.rejects(w.finish(), { code: 'InvalidArgument' });
  const id = blobId(Buffer.from('x'));
  w.add(id, BlobType.data, new Uint8Array(50), 1);
  t.equal(w.size, 50);
  t.equal(w.count, 1);
  t.throws(() => w.add(id, BlobType.tree, new Uint8Array(50), 1), { code: 'InvalidArgument' });
  await w.finish();
  t.throws(() => w.add(id, BlobType.data, new Uint8Array(50), 1), { code: 'InvalidArgument' });
});

t.test('a failed put leaves the writer open for a retry', async (t) => {
  const faulty = new FaultyBackend(new MemoryBackend());
  faulty.addRule({ op: 'put', action: 'fail', nth: 1 });
  const w = new PackWriter(faulty, fakeSealer, PackKind.normal);
  const plain = randomBytes(100);
  w.add(blobId(plain), BlobType.data, sealBlob(fakeSealer, blobId(plain), plain), plain.length);
  await t.rejects(w.finish(), { code: 'BackendError' });
  const desc = await w.finish();
  t.same((await readPack(faulty, fakeSealer, desc.id)).description, desc);
});

t.test('a header larger than the first tail read costs exactly one more GET', async (t) => {
  const backend = new FakeBackend();
  const plains = Array.from({ length: Math.ceil(TAIL_GUESS / 41) + 10 }, (_, i) => Buffer.from(`blob ${i}`));
  const written = await writePack(backend, fakeSealer, PackKind.normal, plains);
  backend.gets.length = 0;
  const desc = await readPackHeader(backend, fakeSealer, written.desc.id, written.desc.size);
  t.equal(backend.gets.length, 2);
  t.same(desc, written.desc);
  backend.gets.length = 0;
  const small = await writePack(backend, fakeSealer, PackKind.normal, plains.slice(0, 10));
  await readPackHeader(backend, fakeSealer, small.desc.id, small.desc.size);
  t.equal(backend.gets.length, 1);
});

t.test('real XChaCha20-Poly1305 sealing round-trips too', async (t) => {
  const key = randomBytes(32);
  const sealer: Sealer = {
    seal: (plain, aad) => {
      const nonce = randomBytes(24);
      return Buffer.concat([nonce, xchacha20poly1305(key, nonce, aad).encrypt(plain)]);
    },
    open: (sealed, aad) => xchacha20poly1305(key, sealed.subarray(0, 24), aad).decrypt(sealed.subarray(24)),
  };
  const backend = new FakeBackend();
  const written = await writePack(backend, sealer, PackKind.tree, [randomBytes(100), randomBytes(3000)]);
  await checkReadable(t, backend, sealer, written);
  const bytes = backend.objects.get(packName(written.desc.id))!;
  bytes[bytes.length - 10]! ^= 1;
  await t.rejects(readPackHeader(backend, sealer, written.desc.id), { code: 'CorruptData' });
});

t.test('any one changed byte of a stored pack is detected', async (t) => {
  const backend = new FakeBackend();
  const plains = Array.from({ length: 5 }, (_, i) => randomBytes(50 + i * 30));
  const written = await writePack(backend, fakeSealer, PackKind.normal, plains);
  const name = packName(written.desc.id);
  const original = backend.objects.get(name)!;
  const tailStart = written.desc.blobs.reduce((n, b) => n + b.length, 0);
  // Every position, each with one bit flipped (all eight bits over the pack): one list of what went undetected, and why.
  const missed: string[] = [];
  for (let at = 0; at < original.length; at++) {
    const flip = 1 << (at % 8);
    const bytes = original.slice();
    bytes[at]! ^= flip;
    backend.objects.set(name, bytes);
    const seen = [
      await outcome(() => verifyPack(bytes, written.desc.id)),
      await outcome(() => readPack(backend, fakeSealer, written.desc.id)),
      await outcome(async () => {
        if (at >= tailStart) return readPackHeader(backend, fakeSealer, written.desc.id);
        const b = written.desc.blobs.find((x) => at >= x.offset && at < x.offset + x.length)!;
        return openBlob(fakeSealer, b.id, await readBlob(backend, { pack: written.desc.id, ...b }));
      }),
    ];
    const wrong = seen.filter((o) => o !== 'CorruptData');
    if (wrong.length > 0) missed.push(`byte ${at} ^ ${flip}: ${wrong.join(', ')}`);
  }
  backend.objects.set(name, original);
  t.same(missed, []);
});

/** 'CorruptData' when `fn` fails with that code, else what happened instead. */
async function outcome(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'not detected';
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return code === 'CorruptData' ? code : `${String(code)}: ${String(err)}`;
  }
}

t.test('a header swapped in from another pack or a truncated pack is refused', async (t) => {
  const backend = new FakeBackend();
  const a = await writePack(backend, fakeSealer, PackKind.normal, [randomBytes(10), randomBytes(20)]);
  const b = await writePack(backend, fakeSealer, PackKind.normal, [randomBytes(10)]);
  const bytesA = backend.objects.get(packName(a.desc.id))!;
  const bytesB = backend.objects.get(packName(b.desc.id))!;
  const tailB = bytesB.subarray(b.desc.blobs[0]!.length);
  const spliced = Buffer.concat([bytesA.subarray(0, a.desc.blobs[0]!.length + a.desc.blobs[1]!.length), tailB]);
  backend.objects.set(packName(a.desc.id), spliced);
  await t.rejects(readPackHeader(backend, fakeSealer, a.desc.id), { code: 'CorruptData' });
  backend.objects.set(packName(a.desc.id), bytesA.subarray(0, 3));
  await t.rejects(readPackHeader(backend, fakeSealer, a.desc.id), { code: 'CorruptData' });
  backend.objects.set(packName(a.desc.id), bytesA.subarray(1));
  await t.rejects(readPackHeader(backend, fakeSealer, a.desc.id), { code: 'CorruptData' });
  await t.rejects(readPackHeader(backend, fakeSealer, 'ee'.repeat(32) as PackId), { code: 'NotFound' });
});
