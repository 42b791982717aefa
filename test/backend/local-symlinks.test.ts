/** The local backend never follows a link (nor opens a special file) beneath its root: each is an error naming it. */
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LocalBackend } from '../../src/backend/local.js';
import { fingerprint, hexId, makeCanary } from '../helpers/canary.js';
import { listAll } from './conformance.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const ID = hexId('ab');
/** Where a repository holds its objects (FORMAT §1), with one object name in each. */
const OBJECT_DIRS = ['keys', 'locks', 'snapshots', 'index', 'tmp', 'packs/ab'];
const LAYOUT_DIRS = ['keys', 'locks', 'snapshots', 'index', 'tmp', 'packs', 'packs/ab'];

interface Scene {
  readonly repo: string;
  readonly outside: string;
  readonly outsideFile: string;
  readonly before: string[];
  readonly backend: LocalBackend;
}

/** A repository with one object in every layout directory, and a canary directory beside it. */
async function scene(t: Test): Promise<Scene> {
  const root = await mkdtemp(join(tmpdir(), 'rozen-links-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const repo = join(root, 'repo');
  const outside = join(root, 'outside');
  const outsideFile = await makeCanary(outside);
  const setup = new LocalBackend(repo);
  await setup.put('config', enc('config'));
  for (const dir of OBJECT_DIRS) await setup.put(`${dir}/${ID}`, enc(`inside ${dir}`));
  await setup.close();
  const before = [...(await fingerprint(outside)), ...(await fingerprint(outsideFile))];
  const backend = new LocalBackend(repo);
  t.teardown(() => backend.close());
  return { repo, outside, outsideFile, before, backend };
}

async function untouched(t: Test, s: Scene): Promise<void> {
  t.same([...(await fingerprint(s.outside)), ...(await fingerprint(s.outsideFile))], s.before, 'the canary outside is unchanged');
}

/** Rejects with CorruptData in one line naming `path`. */
async function refused(t: Test, p: Promise<unknown>, path: string, what: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  t.equal(err?.code, 'CorruptData', `${what}: CorruptData`);
  t.ok(err?.message.includes(path) && !err.message.includes('\n'), `${what}: one line naming ${path}`, { found: err?.message });
}

const replaceWith = async (path: string, target: string): Promise<void> => {
  await rm(path, { recursive: true, force: true });
  await symlink(target, path);
};

for (const dir of LAYOUT_DIRS) {
  t.test(`a link at ${dir}/ is refused by every operation`, async (t) => {
    const s = await scene(t);
    const link = join(s.repo, dir);
    await replaceWith(link, s.outside);
    const objDir = dir === 'packs' ? 'packs/ab' : dir;
    const obj = `${objDir}/${ID}`;
    const b = s.backend;
    await refused(t, listAll(b, `${dir}/`), link, 'list');
    await refused(t, listAll(b, ''), link, 'list everything');
    await refused(t, b.stat(obj), link, 'stat');
    await refused(t, b.get(obj), link, 'get');
    await refused(t, b.get(obj, { offset: 0, length: 3 }), link, 'ranged get');
    await refused(t, b.put(`${objDir}/${hexId('99')}`, enc('new')), link, 'put');
    await refused(t, b.put(obj, enc('over')), link, 'put over');
    await refused(t, b.rename('config', `${objDir}/moved`), link, 'rename into');
    await refused(t, b.rename(obj, 'moved'), link, 'rename out of');
    await refused(t, b.delete(obj), link, 'delete');
    await refused(t, b.deleteMany([obj, `${objDir}/notes.txt`]), link, 'deleteMany');
    t.equal((await b.stat('config'))?.size, 6, 'config stayed where it was');
    await untouched(t, s);
  });
}

for (const dir of [...OBJECT_DIRS, '']) {
  const obj = dir === '' ? 'config' : `${dir}/${ID}`;
  t.test(`a link at ${obj} is refused by reads, replaced or removed by writes`, async (t) => {
    const s = await scene(t);
    const link = join(s.repo, obj);
    const b = s.backend;
    for (const target of [s.outsideFile, s.outside]) {
      await replaceWith(link, target);
      await refused(t, b.stat(obj), link, 'stat');
      await refused(t, b.get(obj), link, 'get');
      await refused(t, b.get(obj, { offset: 0, length: 3 }), link, 'ranged get');
      await refused(t, listAll(b, dir === '' ? '' : `${dir}/`), link, 'list');
      await b.delete(obj);
      await t.rejects(lstat(link), { code: 'ENOENT' }, 'delete removed the link itself');
      await replaceWith(link, target);
      await b.put(obj, enc('written'));
      t.ok((await lstat(link)).isFile(), 'put replaced the link with a file');
      await replaceWith(link, target);
      await b.put('spare', enc('spare'));
      await b.rename('spare', obj);
      t.equal(await readFile(link, 'utf8'), 'spare', 'rename replaced the link with the object');
    }
    await untouched(t, s);
  });
}

t.test('a FIFO where a directory or an object should be is an error naming it, without hanging', async (t) => {
  const s = await scene(t);
  const b = s.backend;
  const fifo = join(s.repo, 'index', ID);
  await rm(fifo);
  execFileSync('mkfifo', [fifo]);
  await refused(t, b.stat(`index/${ID}`), fifo, 'stat');
  await refused(t, b.get(`index/${ID}`), fifo, 'get');
  await t.rejects(b.get(`index/${ID}`, { offset: 0, length: 3 }), { code: 'CorruptData' }, 'ranged get');
  await refused(t, listAll(b, 'index/'), fifo, 'list');
  const dirFifo = join(s.repo, 'tmp');
  await rm(dirFifo, { recursive: true });
  execFileSync('mkfifo', [dirFifo]);
  await refused(t, listAll(b, 'tmp/'), dirFifo, 'list');
  await refused(t, b.put(`tmp/${ID}`, enc('x')), dirFifo, 'put');
  await untouched(t, s);
});

t.test('a directory swapped for a link once open is still the directory first opened', async (t) => {
  const s = await scene(t);
  const b = s.backend;
  await b.put(`tmp/${hexId('01')}`, enc('one'));
  await rename(join(s.repo, 'tmp'), join(s.repo, 'tmp-moved'));
  await symlink(s.outside, join(s.repo, 'tmp'));
  await b.put(`tmp/${hexId('02')}`, enc('two'));
  await b.delete(`tmp/${ID}`);
  t.equal(await readFile(join(s.repo, 'tmp-moved', hexId('02')), 'utf8'), 'two', 'written into the directory held open');
  await untouched(t, s);
  await refused(t, new LocalBackend(s.repo).stat(`tmp/${ID}`), join(s.repo, 'tmp'), 'a fresh backend meets the link');
});

t.test('the root itself may be a link: the user named it', async (t) => {
  const s = await scene(t);
  const alias = join(s.repo, '..', 'alias');
  await symlink(s.repo, alias);
  const b = new LocalBackend(alias);
  t.teardown(() => b.close());
  t.equal(Buffer.from(await b.get(`keys/${ID}`)).toString(), 'inside keys');
  await b.put(`locks/${hexId('02')}`, enc('lock'));
  t.same(
    (await listAll(b, 'locks/')).map((o) => o.name),
    [`locks/${hexId('02')}`, `locks/${ID}`],
  );
});

t.test('a plain file where a directory should be is missing to readers and in the way of writers', async (t) => {
  const s = await scene(t);
  const b = s.backend;
  await rm(join(s.repo, 'locks'), { recursive: true });
  await mkdir(join(s.repo, 'x'));
  await b.put('locks', enc('file'));
  t.equal(await b.stat(`locks/${ID}`), undefined);
  t.same(await listAll(b, 'locks/'), []);
  await t.rejects(b.put(`locks/${ID}`, enc('x')), { code: 'BackendError', message: /locks: a file of that name is in the way/ });
});
