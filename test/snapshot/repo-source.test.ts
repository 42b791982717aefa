/** The mount's view of a real repository: snapshots, trees, blobs, and runs of neighbouring blobs. */
import t from 'tap';
import { packName } from '../../src/cas/pack-path.js';
import { isRozenError } from '../../src/core/errors.js';
import { blobIdBytes } from '../../src/crypto/blob-id.js';
import { seal } from '../../src/crypto/xchacha.js';
import type { BlobId } from '../../src/core/ids.js';
import { RepoSnapshotSource } from '../../src/snapshot/repo-source.js';
import type { Node } from '../../src/snapshot/node.js';
import { memoryRepo, writeSnapshot } from '../lifecycle/repo-fixture.js';

const small = (i: number): Buffer => Buffer.from(`small file number ${i} `.repeat(1 + (i % 5)));

t.test('runs of small files, single chunks of large ones, and damage detected', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  const files = new Map<string, Uint8Array>();
  for (let i = 0; i < 12; i++) files.set(`d/f${String(i).padStart(2, '0')}`, small(i));
  files.set('large.bin', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251)));
  await writeSnapshot(repo, files);
  const source = new RepoSnapshotSource(repo);
  t.teardown(() => source.close());
  const [snap] = await source.listSnapshots();
  const root = await source.loadTree(snap!.tree);
  const d = await source.loadTree(root.find((n) => n.name.toString() === 'd')!.subtree!);
  const ids = d.map((n: Node) => n.content![0] as BlobId);

  const run = await source.readRun(ids[0]!, 1 << 20);
  t.equal(run.blobs[0]![0], ids[0], 'the blob asked for comes first');
  t.ok(run.blobs.length > 1, 'with its neighbours in the pack');
  for (const [id, data] of run.blobs) {
    const i = ids.indexOf(id);
    t.ok(i >= 0, 'a neighbour is a file of the snapshot');
    t.same(Buffer.from(data), small(i), `plaintext of f${i}`);
  }
  t.ok(run.next === undefined || ids.includes(run.next), 'the next blob of the pack, if any');
  const capped = await source.readRun(ids[0]!, 1);
  t.equal(capped.blobs.length, 1, 'at least the blob itself, whatever the limit');
  t.equal(capped.next, run.blobs[1]![0]);

  const large = root.find((n) => n.name.toString() === 'large.bin')!;
  const chunk = await source.readRun(large.content![1]!, 1 << 20);
  const whole = Buffer.from(files.get('large.bin')!);
  t.equal(chunk.blobs.length, large.content!.length - 1, 'a small degenerate pack is read whole: its next chunks come along');
  t.same(Buffer.from(chunk.blobs[0]![1]), whole.subarray(large.sizes![0], large.sizes![0]! + large.sizes![1]!));
  t.same(Buffer.concat(chunk.blobs.map(([, d]) => d)), whole.subarray(large.sizes![0]));
  t.same(Buffer.from(await source.readBlob(ids[3]!)), small(3));

  const loc = await repo.locate(ids[5]!);
  const bytes = Buffer.from(await backend.get(packName(loc.pack)));
  bytes[loc.offset + 30] = (bytes[loc.offset + 30] as number) ^ 0xff;
  await backend.put(packName(loc.pack), bytes);
  const fresh = new RepoSnapshotSource(repo);
  const err = await fresh.readRun(ids[5]!, 1 << 20).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isRozenError(err, 'CorruptData'), 'a damaged blob fails its run');
  t.match(String(err), ids[5]!);
});

t.test('data blobs are vouched for by their tag; re-hashed to their ids only with verifyIds', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  const files = new Map<string, Uint8Array>([
    ['a', small(1)],
    ['b', small(2)],
  ]);
  await writeSnapshot(repo, files);
  const [snap] = await new RepoSnapshotSource(repo).listSnapshots();
  const root = await new RepoSnapshotSource(repo).loadTree(snap!.tree);
  const id = root.find((n) => n.name.toString() === 'a')!.content![0] as BlobId;
  // A writer that hashed one plaintext and sealed another (a fault the tag cannot see): same id, other bytes.
  const loc = await repo.locate(id);
  const other = Buffer.alloc(loc.rawLength, 'x');
  const sealed = seal(repo.master.encKey, Buffer.concat([Buffer.from([0]), other]), blobIdBytes(id));
  t.equal(sealed.length, loc.length, 'the original blob was stored raw, so the replacement fits its place');
  const bytes = Buffer.from(await backend.get(packName(loc.pack)));
  bytes.set(sealed, loc.offset);
  await backend.put(packName(loc.pack), bytes);

  const trusting = new RepoSnapshotSource(repo);
  t.same(Buffer.from(await trusting.readBlob(id)), other, 'by default the tag alone vouches for the plaintext');
  t.same(Buffer.from((await trusting.readRun(id, 1 << 20)).blobs[0]![1]), other, 'also in a run');
  const verifying = new RepoSnapshotSource(repo, { verifyIds: true });
  for (const read of [() => verifying.readBlob(id), () => verifying.readRun(id, 1 << 20)]) {
    const err = await read().then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(isRozenError(err, 'CorruptData'), 'verifyIds: refused');
    t.match(String(err), /does not match its id/);
  }
  // Trees go through the same check whatever the options (the blob above, read as a tree, fails it first).
  const err = await trusting.loadTree(id).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(String(err), /does not match its id/, 'trees are always re-hashed to their ids');
});
