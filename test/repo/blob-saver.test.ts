/** BlobSaver's back-pressure: however many callers save at once, at most `uploads` packs are being written. */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { BlobType } from '../../src/core/types.js';
import type { BlobId } from '../../src/core/ids.js';
import { BlobSaver } from '../../src/repo/blob-saver.js';
import { memoryRepo } from '../lifecycle/repo-fixture.js';

t.test('finished packs wait for a free upload instead of piling up in memory', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  let writing = 0;
  let most = 0;
  const put = backend.put.bind(backend);
  backend.put = async (name, source) => {
    writing++;
    most = Math.max(most, writing);
    await new Promise((r) => setTimeout(r, 5));
    try {
      return await put(name, source);
    } finally {
      writing--;
    }
  };
  const saver = new BlobSaver(backend, repo.sealer, repo.index, { ...repo.config, packSize: 2048, uploads: 2, indexEvery: 1000 });
  const ids = Array.from({ length: 60 }, () => randomBytes(32).toString('hex') as BlobId);
  // 60 savers at once, 2 blobs per pack: 30 packs, as when many small files are read faster than packs are written.
  await Promise.all(ids.map((id) => saver.saveSmall(BlobType.data, id, randomBytes(1100), 1000)));
  await saver.flush();
  t.ok(most <= 2, `at most 2 packs written at once (saw ${most})`);
  for (const id of ids) t.ok(await saver.has(id), 'every blob is indexed');
  t.equal(saver.stats.packs, 30);
});
