import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBackend } from '../../src/backend/memory.js';
import { AAD } from '../../src/crypto/sealer.js';
import { Repository } from '../../src/repo/repository.js';

process.env['ROZEN_KDF_N'] = '1024';

const zero = (b: ArrayLike<number>): boolean => Array.from(b).every((x) => x === 0);

t.test('closing a repository zeroes the master key, its sealer and the key-derived tables', async (t) => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'rozen-wipe-'));
  t.teardown(() => rm(cacheDir, { recursive: true, force: true }));
  const backend = new MemoryBackend();
  await Repository.init(backend, 'pw');
  const repo = await Repository.open(backend, 'pw', { cacheDir });
  const { encKey, idKey } = repo.master;
  const gear = repo.gear;
  const sealed = repo.sealer.seal(new Uint8Array(8), AAD.config);
  t.notOk(zero(encKey) || zero(idKey) || zero(gear), 'keys in use');
  await repo.close();
  t.ok(zero(encKey), 'encKey zeroed');
  t.ok(zero(idKey), 'idKey zeroed');
  t.ok(zero(gear), 'gear table zeroed');
  t.throws(() => repo.sealer.open(sealed, AAD.config), { code: 'CorruptData' }, 'the sealer no longer holds the key');
});
