import t from 'tap';
import type { BlobId } from '../../src/core/ids.js';
import { ChunkQueue, type ChunkResult, type ChunkStore } from '../../src/snapshot/backup/chunk-queue.js';

/** Records what the queue stores and gives up. */
function store(): ChunkStore & { saved: string[]; unclaimed: string[] } {
  const saved: string[] = [];
  const unclaimed: string[] = [];
  return {
    saved,
    unclaimed,
    saveChunk: async (id) => void saved.push(id),
    unclaim: (id) => void unclaimed.push(id),
  };
}

const chunk = (id: string, size: number, sealed: boolean): Promise<ChunkResult> =>
  Promise.resolve(sealed ? { id: id as BlobId, size, sealed: new Uint8Array(1) } : { id: id as BlobId, size });

t.test('drains in file order, storing only the sealed chunks', async (t) => {
  const s = store();
  const q = new ChunkQueue(s);
  q.push(chunk('a', 3, true), chunk('b', 4, false));
  q.push(chunk('c', 5, true));
  while (q.length > 0) await q.drainOne();
  t.same(s.saved, ['a', 'c']);
  t.same(q.content(), { content: ['a', 'b', 'c'], sizes: [3, 4, 5], size: 12 });
});

t.test('abandon waits for the chunks in flight and unclaims the sealed ones not yet stored', async (t) => {
  const s = store();
  const q = new ChunkQueue(s);
  let finish: (r: ChunkResult) => void = () => undefined;
  const late = new Promise<ChunkResult>((resolve) => (finish = resolve));
  q.push(chunk('a', 1, true), chunk('b', 1, true), Promise.reject(new Error('seal failed')), chunk('d', 1, false), late);
  await q.drainOne();
  const abandoned = q.abandon();
  setImmediate(() => finish({ id: 'e' as BlobId, size: 1, sealed: new Uint8Array(1) }));
  await abandoned;
  t.same(s.saved, ['a']);
  t.same(s.unclaimed, ['b', 'e']);
});
