/** prune of a pack of many tiny blobs: the packs it writes are cut by blob count before their size. */
import t from 'tap';
import { MemoryBackend } from '../../src/backend/memory.js';
import { writeIndexFile } from '../../src/cas/index-file.js';
import { PackWriter } from '../../src/cas/pack-writer.js';
import { BlobType, PackKind } from '../../src/core/types.js';
import { checkRepository } from '../../src/lifecycle/check.js';
import { loadIndexView } from '../../src/lifecycle/index-view.js';
import { prune } from '../../src/lifecycle/prune.js';
import { BlobTasks } from '../../src/repo/blob-task.js';
import { Repository } from '../../src/repo/repository.js';
import { saveSnapshot } from '../../src/repo/snapshots.js';
import { encodeTree } from '../../src/snapshot/fs/tree-codec.js';
import type { Node } from '../../src/snapshot/node.js';
import { PASSWORD, SMALL_CONFIG, tempDir } from './repo-fixture.js';

const BLOBS = 20_000;

t.test(`a pack of ${BLOBS} tiny blobs, one dead, is copied into packs of at most 16,384`, async (t) => {
  const backend = new MemoryBackend();
  const cache = tempDir();
  await Repository.init(backend, PASSWORD, { ...SMALL_CONFIG, packSize: 16 * 1024 * 1024 });
  const repo = await Repository.open(backend, PASSWORD, { cacheDir: cache.path });
  t.teardown(async () => {
    await repo.close();
    cache.remove();
  });
  const tasks = new BlobTasks({ encKey: repo.master.encKey, idKey: repo.master.idKey });
  const data = new PackWriter(backend, repo.sealer, PackKind.normal);
  const nodes: Node[] = [];
  for (let i = 0; i < BLOBS; i++) {
    const bytes = Buffer.from(`blob ${i}`);
    const r = tasks.seal({ op: 'seal', data: bytes, level: false });
    data.add(r.id, BlobType.data, r.sealed, r.rawLength);
    if (i === 0) continue; // the dead one
    nodes.push({
      name: Buffer.from(`f${String(i).padStart(5, '0')}`),
      type: 'file',
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtimeNs: 0n,
      atimeNs: 0n,
      ctimeNs: 0n,
      size: bytes.length,
      allocated: 0,
      device: 1,
      inode: i,
      links: 1,
      content: [r.id],
      sizes: [bytes.length],
    });
  }
  const tree = tasks.seal({ op: 'seal', data: encodeTree(nodes), level: 3 });
  const trees = new PackWriter(backend, repo.sealer, PackKind.tree);
  trees.add(tree.id, BlobType.tree, tree.sealed, tree.rawLength);
  await writeIndexFile(backend, repo.sealer, [await data.finish(), await trees.finish()]);
  await saveSnapshot(repo, { time: '2024-01-01T00:00:00.000Z', hostname: 'h', username: 'u', paths: ['/'], tags: [], tree: tree.id });

  t.match(await prune(repo, { graceMs: 0, maxUnused: 0 }), { packsRepacked: 1, blobsCopied: BLOBS - 1, packsWritten: 2 });
  const counts = (await loadIndexView(backend, repo.sealer)).packs.filter((p) => p.kind === PackKind.normal).map((p) => p.count);
  t.same(
    counts.sort((a, b) => a - b),
    [BLOBS - 1 - 16_384, 16_384],
  );
  t.same((await checkRepository(repo, { readData: { kind: 'all' } })).problems, []);
});
