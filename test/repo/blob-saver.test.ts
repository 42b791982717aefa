/**
 * BlobSaver's back-pressure (however many callers save at once, at most `uploads` packs are being written) and
 * checkpoints (what was saved before one is durable and indexed when it resolves).
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import type { Backend } from '../../src/backend/backend.js';
import { packName } from '../../src/cas/pack-path.js';
import { loadIndexView } from '../../src/lifecycle/index-view.js';
import type { Repository } from '../../src/repo/repository.js';
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

t.test('a checkpoint makes what was saved before it durable and indexed while saving goes on', async (t) => {
  type Op = { kind: 'small' | 'tree' | 'large' | 'checkpoint'; size: number };
  const op = fc.record({ kind: fc.constantFrom('small', 'tree', 'large', 'checkpoint'), size: fc.integer({ min: 10, max: 1500 }) });
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op as fc.Arbitrary<Op>, { maxLength: 25 }), fc.array(fc.nat(4), { maxLength: 40 }), async (ops, delays) => {
      const { backend, repo, done } = await memoryRepo();
      runs++;
      try {
        // Puts that take turns of different lengths, so packs finish out of order.
        const put = backend.put.bind(backend);
        let n = 0;
        backend.put = async (name, source) => {
          await new Promise((r) => setTimeout(r, delays[n++ % Math.max(1, delays.length)] ?? 0));
          return put(name, source);
        };
        const saver = new BlobSaver(backend, repo.sealer, repo.index, { ...repo.config, packSize: 2048, indexEvery: 1000 });
        const saved: BlobId[] = [];
        const checks: Promise<string[]>[] = [];
        for (const o of ops) {
          if (o.kind === 'checkpoint') {
            const before = [...saved];
            checks.push(saver.checkpoint().then(() => missing(backend, repo, before)));
            continue;
          }
          const id = randomBytes(32).toString('hex') as BlobId;
          if (o.kind === 'large') {
            await saver.saveChunk(id, randomBytes(o.size), o.size);
            await saver.endLargeFile();
          } else await saver.saveSmall(o.kind === 'tree' ? BlobType.tree : BlobType.data, id, randomBytes(o.size), o.size);
          saved.push(id);
        }
        const problems = (await Promise.all(checks)).flat();
        await saver.flush();
        problems.push(...(await missing(backend, repo, saved)).map((p) => `after flush: ${p}`));
        if (problems.length > 0) throw new Error(problems.join('; '));
      } finally {
        await done();
      }
    }),
    { numRuns: 40 },
  );
  t.pass(`${runs} sequences`);
});

t.test('a checkpoint rejects when a pack before it failed to upload', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  backend.put = async () => {
    throw new Error('disk full');
  };
  const saver = new BlobSaver(backend, repo.sealer, repo.index, { ...repo.config, packSize: 2048 });
  await saver.saveSmall(BlobType.data, randomBytes(32).toString('hex') as BlobId, randomBytes(100), 100);
  await t.rejects(saver.checkpoint(), /disk full/);
});

/** Blobs of `ids` that no index file in the backend names, or whose pack is not there. */
async function missing(backend: Backend, repo: Repository, ids: readonly BlobId[]): Promise<string[]> {
  const view = await loadIndexView(backend, repo.sealer);
  const out: string[] = [];
  for (const id of ids) {
    const loc = view.locations(id)[0];
    if (loc === undefined) out.push(`${id.slice(0, 8)} in no index file`);
    else if ((await backend.stat(packName(loc.pack))) === undefined) out.push(`${id.slice(0, 8)}: no pack`);
  }
  return out;
}
