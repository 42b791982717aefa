/** tag: the tag arithmetic (property-tested); rewrite: only the trees on the way to a dropped entry change. */
import t from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { excludeMatcher } from '../../src/cli/excludes.js';
import type { BlobId } from '../../src/core/ids.js';
import { rewriteSnapshots } from '../../src/lifecycle/rewrite.js';
import { applyTagChange, checkTagChange, tagSnapshots } from '../../src/lifecycle/tag.js';
import { listSnapshots } from '../../src/repo/snapshots.js';
import { loadTree } from '../../src/snapshot/trees.js';
import { memoryRepo, readAllSnapshots, sameFiles, writeSnapshot } from './repo-fixture.js';

const tag = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const tags = fc.array(tag, { maxLength: 6 });

t.test('tag changes: no duplicates, added present, removed absent, the same set when applied again', async (t) => {
  fc.assert(
    fc.property(tags, tags, tags, (old, add, remove) => {
      const c = { add, remove };
      const after = applyTagChange(old, c);
      return (
        new Set(after).size === after.length &&
        add.every((x) => after.includes(x)) &&
        remove.every((x) => add.includes(x) || !after.includes(x)) &&
        JSON.stringify(applyTagChange(after, c).sort()) === JSON.stringify([...after].sort())
      );
    }),
  );
  fc.assert(fc.property(tags, tags, (old, set) => JSON.stringify(applyTagChange(old, { set })) === JSON.stringify([...new Set(set)])));
  t.same(applyTagChange(['a'], { set: [''] }), [], '--set "" clears');
  t.throws(() => checkTagChange({}), { code: 'InvalidArgument' });
  t.throws(() => checkTagChange({ set: ['a'], remove: ['b'] }), { code: 'InvalidArgument' });
  t.throws(() => checkTagChange({ add: [''] }), { code: 'InvalidArgument' });
});

t.test('tag replaces only the snapshots whose tags change', async (t) => {
  const { repo, done } = await memoryRepo();
  t.teardown(done);
  const files = new Map([['a', randomBytes(100)]]);
  const first = await writeSnapshot(repo, files, { tags: ['x'] });
  const second = await writeSnapshot(repo, files, { tags: [] });
  const dry = await tagSnapshots(repo, await listSnapshots(repo), { add: ['x'] }, true);
  t.same(
    dry.filter((x) => x.changed).map((x) => [x.old, x.replacement]),
    [[second, undefined]],
  );
  t.same((await listSnapshots(repo)).map((s) => s.id).sort(), [first, second].sort(), 'a dry run writes nothing');
  const r = await tagSnapshots(repo, await listSnapshots(repo), { add: ['x'] });
  const changed = new Map(r.map((x) => [x.old, x.changed]));
  t.same([changed.get(first), changed.get(second)], [false, true]);
  const now = await listSnapshots(repo);
  t.ok(
    now.some((s) => s.id === first && s.original === undefined),
    'the unchanged record is untouched',
  );
  t.ok(
    now.some((s) => s.original === second && s.tags.includes('x')),
    'the changed one is replaced',
  );
  t.notOk(
    now.some((s) => s.id === second),
    'and its old record is gone',
  );
});

const entry = async (repo: Parameters<typeof loadTree>[0], tree: BlobId, name: string): Promise<BlobId | undefined> =>
  (await loadTree(repo, tree)).find((n) => n.name.toString() === name)?.subtree;

t.test('rewrite writes only the trees on the way to a dropped entry', async (t) => {
  const { repo, done } = await memoryRepo();
  t.teardown(done);
  const files = new Map([
    ['top.txt', randomBytes(300)],
    ['d/secret.key', randomBytes(900)],
    ['d/keep', randomBytes(400)],
    ['e/x', randomBytes(500)],
    ['e/f/y', randomBytes(200)],
  ]);
  const old = await writeSnapshot(repo, files);
  const [before] = await listSnapshots(repo);
  if (!before) return void t.fail('a snapshot');
  const exclude = excludeMatcher(['*.key']) ?? (() => false);

  const dry = await rewriteSnapshots(repo, [before], { exclude, dryRun: true });
  t.same(
    dry.map((r) => [r.removed, r.replacement]),
    [[['/d/secret.key'], undefined]],
  );
  t.same(
    (await listSnapshots(repo)).map((s) => s.id),
    [old],
    'a dry run writes nothing',
  );

  const [r] = await rewriteSnapshots(repo, [before], { exclude });
  const [after] = await listSnapshots(repo);
  if (!after || !r) return void t.fail('a rewritten snapshot');
  t.equal(after.id, r.replacement);
  t.equal(after.original, old);
  t.not(after.tree, before.tree, 'the root changes');
  t.not(await entry(repo, after.tree, 'd'), await entry(repo, before.tree, 'd'), 'so does the directory that held the file');
  t.equal(await entry(repo, after.tree, 'e'), await entry(repo, before.tree, 'e'), 'an untouched subtree keeps its id');
  const expected = new Map([...files].filter(([k]) => k !== 'd/secret.key'));
  t.ok(sameFiles((await readAllSnapshots(repo)).get(after.id), expected), 'everything else is there');

  const again = await rewriteSnapshots(repo, [after], { exclude });
  t.same(
    again.map((x) => [x.removed, x.replacement]),
    [[[], undefined]],
    'nothing left to drop: left alone',
  );

  const [kept] = await rewriteSnapshots(repo, [after], { exclude: excludeMatcher(['/e/f']) ?? (() => false), keepOld: true });
  t.same(kept?.removed, ['/e/f/']);
  t.equal((await listSnapshots(repo)).length, 2, '--keep-old keeps the old record');
});
