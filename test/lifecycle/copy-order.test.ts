/**
 * copy (copy-trees.ts): files are started in the order a backup stores them, depth first and by name however the
 * directories nest, so a copy reads the source's packs about in order; a small file's blob never shares its buffer
 * with a large file's chunks; a damaged blob stops the copy once the work in flight has settled.
 */
import t from 'tap';
import fc from 'fast-check';
import { MemoryBackend } from '../../src/backend/memory.js';
import type { BlobId } from '../../src/core/ids.js';
import { isRozenError } from '../../src/core/errors.js';
import type { PutSource } from '../../src/backend/backend.js';
import { packName } from '../../src/cas/pack-path.js';
import type { BlobLocation, ByteRange } from '../../src/core/types.js';
import { checkRepository } from '../../src/lifecycle/check.js';
import { copySnapshots } from '../../src/lifecycle/copy.js';
import { loadIndexView } from '../../src/lifecycle/index-view.js';
import { loadTreeFrom } from '../../src/lifecycle/tree-walker.js';
import { BlobSaver } from '../../src/repo/blob-saver.js';
import type { Repository } from '../../src/repo/repository.js';
import { listSnapshots } from '../../src/repo/snapshots.js';
import { initRepo, tempDir, writeSnapshot } from './repo-fixture.js';

/** Paths of up to four levels over a few names, none both a file and a directory. */
const paths = fc
  .uniqueArray(
    fc.array(fc.constantFrom('a', 'b', 'm', 'z'), { minLength: 1, maxLength: 4 }).map((p) => p.join('/')),
    { minLength: 1, maxLength: 60 },
  )
  .map((ps) => ps.filter((p) => !ps.some((q) => q.startsWith(`${p}/`))));

/** Each file's own bytes, below the large-file size. */
const filesOf = (ps: readonly string[]): Map<string, Uint8Array> => new Map(ps.map((p) => [p, Buffer.from(`the file ${p}`)]));

/** The content ids of `tree`'s files, depth first in tree order (by name), as a backup stores them. */
async function depthFirst(repo: Repository, tree: BlobId): Promise<BlobId[]> {
  const view = await loadIndexView(repo.backend, repo.sealer);
  const out: BlobId[] = [];
  const walk = async (id: BlobId): Promise<void> => {
    for (const n of await loadTreeFrom(repo, view, id)) {
      if (n.subtree !== undefined) await walk(n.subtree);
      else out.push(...(n.content ?? []));
    }
  };
  await walk(tree);
  return out;
}

/** The ids `repo.locate` is asked for, in order. */
function recordLocates(repo: Repository): BlobId[] {
  const asked: BlobId[] = [];
  const locate = repo.locate.bind(repo);
  repo.locate = (id: BlobId): Promise<BlobLocation> => {
    asked.push(id);
    return locate(id);
  };
  return asked;
}

t.test('files are read depth first by name, however directories nest', async (t) => {
  const dirs = [tempDir(), tempDir()];
  t.teardown(() => dirs.forEach((d) => d.remove()));
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(paths, async (ps) => {
      const [a, b] = dirs.map((d) => `${d.path}/${runs}`);
      runs++;
      const src = await initRepo(new MemoryBackend(), a ?? '');
      const dst = await initRepo(new MemoryBackend(), b ?? '');
      try {
        await writeSnapshot(src, filesOf(ps));
        const snaps = await listSnapshots(src);
        const want = await depthFirst(src, snaps[0]!.tree);
        const files = new Set(want);
        const asked = recordLocates(src);
        await copySnapshots(src, dst, snaps);
        const got = asked.filter((id) => files.has(id));
        if (got.join() !== want.join()) throw new Error(`read ${got.length} files out of order`);
      } finally {
        await Promise.all([src.close(), dst.close()]);
      }
    }),
    { numRuns: 40 },
  );
});

t.test("a small file's blob waiting in a pack keeps no large file's chunks alive", async (t) => {
  const dirs = [tempDir(), tempDir()];
  t.teardown(() => dirs.forEach((d) => d.remove()));
  const src = await initRepo(new MemoryBackend(), dirs[0]!.path);
  const dst = await initRepo(new MemoryBackend(), dirs[1]!.path);
  t.teardown(() => Promise.all([src.close(), dst.close()]));
  // Small and large files (over SMALL_CONFIG's 3,000 bytes) side by side, so both are re-sealed in the same turns.
  const files = new Map<string, Uint8Array>();
  for (let i = 0; i < 40; i++) {
    const size = i % 2 === 0 ? 200 : 6000;
    files.set(
      `d/f${String(i).padStart(2, '0')}`,
      Uint8Array.from({ length: size }, (_, k) => (i * 31 + k * 7 + (k >> 5)) & 0xff),
    );
  }
  await writeSnapshot(src, files);
  const small = new Set<ArrayBufferLike>();
  const chunks = new Set<ArrayBufferLike>();
  // The saver's two ways in, watched: the copy makes its own saver.
  type Save = (this: BlobSaver, ...args: unknown[]) => Promise<void>;
  const proto = BlobSaver.prototype as unknown as { saveSmall: Save; saveChunk: Save };
  const { saveSmall, saveChunk } = proto;
  proto.saveSmall = function (...args) {
    small.add((args[2] as Uint8Array).buffer);
    return saveSmall.apply(this, args);
  };
  proto.saveChunk = function (...args) {
    chunks.add((args[1] as Uint8Array).buffer);
    return saveChunk.apply(this, args);
  };
  try {
    await copySnapshots(src, dst, await listSnapshots(src));
  } finally {
    Object.assign(proto, { saveSmall, saveChunk });
  }
  t.ok(small.size > 0 && chunks.size > 0, 'both kinds were stored');
  t.same(
    [...small].filter((b) => chunks.has(b)),
    [],
    'no buffer holds both',
  );
});

/** A memory backend that flips a byte of one range of one object as it is read; reads of other objects are slow. */
class Damaging extends MemoryBackend {
  damage: { name: string; at: number } | undefined;
  pending = 0;
  override async get(name: string, range?: ByteRange): Promise<Uint8Array> {
    this.pending++;
    await new Promise((r) => setTimeout(r, name === this.damage?.name ? 1 : 30));
    this.pending--;
    const bytes = await super.get(name, range);
    const d = this.damage;
    const at = d === undefined || d.name !== name ? -1 : d.at - (range?.offset ?? 0);
    if (at < 0 || at >= bytes.length) return bytes;
    const out = Uint8Array.from(bytes);
    out[at] = (out[at] ?? 0) ^ 1;
    return out;
  }
}

/** A memory backend that counts what is written to it. */
class Counting extends MemoryBackend {
  puts = 0;
  override async put(name: string, source: PutSource): Promise<void> {
    this.puts++;
    return super.put(name, source);
  }
}

t.test('a damaged blob midway: the copy fails with it after the work in flight settles, the copy stays sound', async (t) => {
  const dirs = [tempDir(), tempDir()];
  t.teardown(() => dirs.forEach((d) => d.remove()));
  const srcBackend = new Damaging();
  const dstBackend = new Counting();
  const src = await initRepo(srcBackend, dirs[0]!.path);
  const dst = await initRepo(dstBackend, dirs[1]!.path);
  t.teardown(() => Promise.all([src.close(), dst.close()]));
  const ps = Array.from({ length: 200 }, (_, i) => `d${String(i % 7)}/e${String(i % 3)}/f${String(i).padStart(3, '0')}`);
  await writeSnapshot(src, filesOf(ps));
  const snaps = await listSnapshots(src);
  const order = await depthFirst(src, snaps[0]!.tree);
  // The last file of a pack: the files started after it read the next pack, slowly, while it fails.
  const locs = await Promise.all(order.map((id) => src.locate(id)));
  const last = locs.findIndex((l, i) => i >= 100 && locs[i + 1] !== undefined && locs[i + 1]!.pack !== l.pack);
  const loc = locs[last]!;
  srcBackend.damage = { name: packName(loc.pack), at: loc.offset + 10 };
  const err = await copySnapshots(src, dst, snaps).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(srcBackend.pending, 0, 'no read is under way when it fails');
  t.ok(isRozenError(err, 'CorruptData'), `fails as the damage tells: ${String(err)}`);
  t.match(String(err), loc.pack.slice(0, 8), 'naming the pack');
  const puts = dstBackend.puts;
  await new Promise((r) => setTimeout(r, 50));
  t.equal(dstBackend.puts, puts, 'nothing is written once it has failed');
  t.same(await listSnapshots(dst), [], 'no snapshot record');
  const report = await checkRepository(dst, {});
  t.same(report.problems, [], 'the destination checks clean');
});
