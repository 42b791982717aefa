/** check --read-data of packs verified piece by piece (the path large degenerate packs take). */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { loadIndexView } from '../../src/lifecycle/index-view.js';
import { readPacks } from '../../src/lifecycle/read-data.js';
import { nativeKeys } from '../../src/repo/native-open.js';
import { memoryRepo, writeSnapshot } from './repo-fixture.js';

t.test('every pack verified in pieces; one flipped byte is found', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  await writeSnapshot(
    repo,
    new Map([
      ['big', randomBytes(9000)],
      ['small', randomBytes(500)],
    ]),
  );
  const view = await loadIndexView(repo.backend, repo.sealer);
  const packs = view.packs;
  const keys = nativeKeys(repo.master.encKey, repo.master.idKey);
  const problems: string[] = [];
  const blobs = await readPacks(repo, packs, keys, (l) => problems.push(l), 0);
  t.same(problems, []);
  t.equal(
    blobs,
    packs.reduce((a, p) => a + p.count, 0),
    'every blob verified',
  );

  const victim = packs[0]!;
  const name = `packs/${victim.id.slice(0, 2)}/${victim.id}`;
  const bytes = Buffer.from(await backend.get(name));
  bytes.writeUInt8(bytes.readUInt8(0) ^ 1, 0);
  await backend.put(name, bytes);
  const found: string[] = [];
  await readPacks(repo, packs, keys, (l) => found.push(l), 0);
  t.ok(
    found.some((l) => l.includes(victim.id.slice(0, 8))),
    found.join('\n'),
  );
});

t.test('the blobs verified by packs read side by side are all counted', async (t) => {
  const { repo, done } = await memoryRepo();
  t.teardown(done);
  await writeSnapshot(repo, new Map(Array.from({ length: 40 }, (_, i) => [`f${i}`, randomBytes(400)])));
  const packs = (await loadIndexView(repo.backend, repo.sealer)).packs;
  t.ok(packs.length > 3, `${packs.length} packs`);
  const keys = nativeKeys(repo.master.encKey, repo.master.idKey);
  t.equal(
    await readPacks(repo, packs, keys, (l) => t.fail(l)),
    packs.reduce((a, p) => a + p.count, 0),
  );
});
