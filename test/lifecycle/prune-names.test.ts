/** Prune and every delete remove only names the format defines (FORMAT §1); anything else is reported and left. */
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import type { Backend } from '../../src/backend/backend.js';
import { deleteFormatObjects, isFormatName } from '../../src/backend/format-names.js';
import { LocalBackend } from '../../src/backend/local.js';
import { checkRepository } from '../../src/lifecycle/check.js';
import { prune } from '../../src/lifecycle/prune.js';
import { hexId } from '../helpers/canary.js';
import { initRepo, memoryRepo, tempDir, writeSnapshot } from './repo-fixture.js';

const TMP_OK = `tmp/${hexId('ab')}`;
const STRAYS = [
  'tmp/notes.txt',
  `tmp/sub/${hexId('cd')}`,
  `tmp/${'AB'.repeat(32)}`,
  `tmp/${hexId('ab')}0`,
  `packs/cd/${hexId('ab')}`,
  'packs/ab/junk',
];

const exists = async (b: Backend, name: string): Promise<boolean> => (await b.stat(name)) !== undefined;

t.test('the format names', async (t) => {
  for (const name of [
    'config',
    `keys/${hexId('01')}`,
    `locks/${hexId('01')}`,
    `snapshots/${hexId('01')}`,
    `index/${hexId('01')}`,
    TMP_OK,
    `packs/ab/${hexId('ab')}`,
  ]) {
    t.ok(isFormatName(name), name);
  }
  for (const name of [...STRAYS, 'keys', 'tmp/', `index/${hexId('01')}/x`, `other/${hexId('01')}`, `config/${hexId('01')}`]) {
    t.notOk(isFormatName(name), name);
  }
});

t.test('a delete naming anything else deletes nothing and names it in one line', async (t) => {
  const { backend, done } = await memoryRepo();
  t.teardown(done);
  await backend.put(TMP_OK, new Uint8Array(1));
  await backend.put('tmp/notes.txt', new Uint8Array(1));
  await t.rejects(deleteFormatObjects(backend, [TMP_OK, 'tmp/notes.txt']), {
    code: 'CorruptData',
    message: 'unexpected object tmp/notes.txt: not a name the repository format defines; left in place',
  });
  t.ok(await exists(backend, TMP_OK), 'not even the good name was deleted');
  await deleteFormatObjects(backend, [TMP_OK]);
  t.notOk(await exists(backend, TMP_OK));
});

t.test('prune deletes old tmp/ uploads by their format name only and reports the rest', async (t) => {
  const { backend, repo, done } = await memoryRepo();
  t.teardown(done);
  await writeSnapshot(repo, new Map([['a', new Uint8Array(100)]]));
  for (const name of [TMP_OK, ...STRAYS]) await backend.put(name, new Uint8Array(10));
  const dry = await prune(repo, { graceMs: 0, dryRun: true });
  t.same([...dry.unexpected].sort(), [...STRAYS].sort(), 'a dry run reports them too');
  const r = await prune(repo, { graceMs: 0 });
  t.equal(r.tmpDeleted, 1);
  t.equal(r.orphansDeleted, 0);
  t.same([...r.unexpected].sort(), [...STRAYS].sort());
  t.notOk(await exists(backend, TMP_OK), 'the unfinished upload is gone');
  for (const name of STRAYS) t.ok(await exists(backend, name), `${name} is left in place`);
  const notes = (await checkRepository(repo)).notes;
  t.ok(
    notes.some((n) => n.startsWith('unexpected object tmp/notes.txt: not a name')),
    'check reports it the same way',
  );
});

t.test('on a local repository prune neither descends into tmp/ subdirectories nor deletes other names', async (t) => {
  const dir = tempDir();
  t.teardown(() => dir.remove());
  const backend = new LocalBackend(join(dir.path, 'repo'));
  const repo = await initRepo(backend, join(dir.path, 'cache'));
  t.teardown(() => repo.close());
  await writeSnapshot(repo, new Map([['a', new Uint8Array(100)]]));
  const tmp = join(dir.path, 'repo', 'tmp');
  const old = new Date('2020-01-01T00:00:00Z');
  for (const name of [hexId('ab'), 'notes.txt', `sub/${hexId('cd')}`, 'sub']) {
    const path = join(tmp, name);
    if (name !== 'sub') {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, 'old');
    }
    await utimes(path, old, old);
  }
  const r = await prune(repo, { graceMs: 1000 });
  t.equal(r.tmpDeleted, 1);
  t.same([...r.unexpected].sort(), ['tmp/notes.txt', `tmp/sub/${hexId('cd')}`]);
  t.same((await readdir(tmp)).sort(), ['notes.txt', 'sub']);
  t.same(await readdir(join(tmp, 'sub')), [hexId('cd')]);
});
