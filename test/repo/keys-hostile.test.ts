import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../../src/backend/memory.js';
import { describeKeys, unlockMasterKey } from '../../src/repo/keys.js';
import { Repository } from '../../src/repo/repository.js';

process.env['ROZEN_KDF_N'] = '1024';
const PASSWORD = 'correct horse';
const keyFileId = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function freshCache(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rozen-keys-hostile-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The real key file with `change` applied and the username varied until its hash sorts before `before`. */
function plantBefore(real: Uint8Array, change: Record<string, unknown>, before: string): { id: string; bytes: Uint8Array } {
  const json = JSON.parse(Buffer.from(real).toString('utf8')) as Record<string, unknown>;
  for (let i = 0; ; i++) {
    const bytes = new Uint8Array(Buffer.from(JSON.stringify({ ...json, ...change, username: `planted${i}` })));
    const id = keyFileId(bytes);
    if (id < before) return { id, bytes };
  }
}

async function plantedRepo(): Promise<{ backend: MemoryBackend; keyId: string; planted: string[] }> {
  const backend = new MemoryBackend();
  const { keyId } = await Repository.init(backend, PASSWORD);
  const real = await backend.get(`keys/${keyId}`);
  const planted: string[] = [];
  const plant = async (name: string, bytes: Uint8Array): Promise<void> => {
    await backend.put(`keys/${name}`, bytes);
    planted.push(`keys/${name}`);
  };
  // Passed over by the CPU bound (the memory bound lets them through with r = 1), named by their hash.
  for (const kdf of [
    { N: 2 ** 20, r: 1, p: 2 ** 22 },
    { N: 2 ** 22, r: 1, p: 2 ** 10 },
  ]) {
    const p = plantBefore(real, kdf, keyId);
    await plant(p.id, p.bytes);
  }
  await plant('0'.repeat(64), real);
  const garbage = new Uint8Array(300).map((_, i) => (i * 131 + 7) & 0xff);
  await plant(keyFileId(garbage), garbage);
  const big = new Uint8Array(Buffer.from(JSON.stringify({ version: 1, pad: 'x'.repeat(5000) })));
  await plant(keyFileId(big), big);
  return { backend, keyId, planted };
}

t.test('hostile key files beside the real one are passed over quickly, on a fresh cache', async (t) => {
  const { backend, keyId } = await plantedRepo();
  const real = await backend.get(`keys/${keyId}`);
  // Within the bounds but costly: tried only after the real key, which is cheaper.
  for (const N of [2 ** 17, 2 ** 17]) {
    const p = plantBefore(real, { N, r: 8, p: 1, salt: Buffer.alloc(32, N & 0xff).toString('base64') }, keyId);
    await backend.put(`keys/${p.id}`, p.bytes);
  }
  const start = performance.now();
  t.equal((await unlockMasterKey(backend, PASSWORD)).keyId, keyId, 'the real key file, not a misnamed copy');
  const ms = performance.now() - start;
  t.ok(ms < 1000, `key files passed over in ${Math.round(ms)} ms`);
  const opening = performance.now();
  const repo = await Repository.open(backend, PASSWORD, { cacheDir: await freshCache(t) });
  const openMs = performance.now() - opening;
  t.equal(repo.keyId, keyId);
  t.ok(openMs < 3000, `opened on a fresh cache in ${Math.round(openMs)} ms`);
  await repo.close();
});

t.test('key files passed over are named, one reason each; the good one is listed', async (t) => {
  const { backend, keyId, planted } = await plantedRepo();
  const { keys, bad } = await describeKeys(backend);
  t.same(
    keys.map((k) => k.id),
    [keyId],
  );
  t.same(bad.map((b) => b.name).sort(), [...planted].sort());
  t.match(
    bad.find((b) => b.name === `keys/${'0'.repeat(64)}`),
    { reason: /SHA-256/ },
  );
  t.ok(bad.every((b) => !b.reason.includes('\n')));
});

t.test('a wrong password says how many key files were passed over', async (t) => {
  const { backend } = await plantedRepo();
  await t.rejects(unlockMasterKey(backend, 'wrong'), {
    code: 'WrongPassword',
    message: /5 unreadable key file\(s\) passed over; key file keys\//,
  });
});

t.test('a repository whose only key file is misnamed does not open', async (t) => {
  const backend = new MemoryBackend();
  const { keyId } = await Repository.init(backend, PASSWORD);
  await backend.rename(`keys/${keyId}`, `keys/${'0'.repeat(64)}`);
  await t.rejects(unlockMasterKey(backend, PASSWORD), { code: 'WrongPassword' });
});
